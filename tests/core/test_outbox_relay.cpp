// OutboxRelay (docs/intake.md, "The outbox"): recorded deliveries reach the queue at least once,
// oldest first; a queue outage ends a pass, one bad entry does not block the rest; entries intake
// is still handling are left alone; the loop drains a backlog and stops when cancelled.
#include <catch2/catch.hpp>

#include "core/consumer/job_message.hpp"
#include "tests/core/intake_harness.hpp"

using namespace scaleup;
using namespace scaleup::testing;

namespace {

std::string body_for(std::int64_t job_id) {
    JobMessage m;
    m.job_id = job_id;
    m.run_id = job_id * 10;
    m.owner = "acme";
    m.repo = "app";
    m.labels = {"self-hosted", "linux"};
    m.installation_id = 42;
    m.delivery_guid = fmt::format("g{:04d}", job_id);
    return m.to_json();
}

/// `count` entries recorded a minute ago and earlier (oldest first: job 1), long settled.
void add_old_entries(IntakeHarness& h, int count) {
    const Instant base = h.rt.now() - minutes(1) - seconds(count);
    for (int i = 1; i <= count; ++i) {
        const std::string guid = fmt::format("g{:04d}", i);
        h.ledger.deliveries[guid] = OutboxEntry{guid, i, body_for(i), base + seconds(i)};
    }
}

std::uint64_t relayed(const IntakeHarness& h, const std::string& result) {
    return h.metrics.value("scaleup_outbox_relayed_total", {{"result", result}});
}

Task<void> timed_relay(Runtime& rt, OutboxRelay& relay, Instant deadline, int& sent,
                       Instant& done_at) {
    sent = co_await relay.relay_once(deadline);
    done_at = rt.now();
}

}  // namespace

TEST_CASE("a delivery recorded while the queue was down is relayed once intake is done with it",
          "[outbox]") {
    IntakeHarness h;
    h.queue.send_failures.push_back(aws_error(ErrorKind::transient, "sqs", "ServiceUnavailable"));
    const Instant received = h.rt.now();
    REQUIRE(h.deliver(queued_delivery(7, "guid-7")).response.outcome == "recorded");
    h.rt.run();

    // Younger than intake_budget + call_timeout (18 s): intake's fast path may still own it.
    CHECK(h.relay.settle_time() == seconds(18));
    CHECK(h.relay_once() == 0);
    CHECK(h.queue.sent.empty());

    h.rt.run_until(received + seconds(18));
    const Instant pass_start = h.rt.now();
    CHECK(h.relay_once() == 1);
    REQUIRE(h.queue.sent.size() == 1);
    CHECK(h.queue.sent[0] == h.ledger.deliveries.at("guid-7").message_body);
    CHECK(h.ledger.outbox_sent.count("guid-7") == 1);
    // Read (5 ms) then send (10 ms): the enqueue time is when the queue took it.
    CHECK(h.ledger.enqueued.at(7) == pass_start + milliseconds(15));
    CHECK(relayed(h, "ok") == 1);
    CHECK(relayed(h, "error") == 0);

    CHECK(h.relay_once() == 0);  // marked sent: never again
    CHECK(h.queue.sent.size() == 1);
}

TEST_CASE("a retryable send failure ends the pass, the next pass starts from the oldest",
          "[outbox]") {
    IntakeHarness h;
    add_old_entries(h, 3);
    for (int i = 0; i < 5; ++i)  // every try of the first entry (aws_retry: 5 attempts)
        h.queue.send_failures.push_back(aws_error(ErrorKind::transient, "sqs", "InternalError"));
    CHECK(h.relay_once() == 0);
    CHECK(h.queue.send_failures.empty());
    CHECK(h.queue.sent.empty());
    CHECK(relayed(h, "error") == 1);

    CHECK(h.relay_once() == 3);
    CHECK(h.queue.sent == std::vector<std::string>{body_for(1), body_for(2), body_for(3)});
    CHECK(h.ledger.outbox_sent.size() == 3);
    CHECK(relayed(h, "ok") == 3);
}

TEST_CASE("a non-retryable send failure skips only that entry", "[outbox]") {
    IntakeHarness h;
    add_old_entries(h, 3);
    h.queue.send_failures.push_back(aws_error(ErrorKind::invalid, "sqs", "InvalidMessageContents"));
    CHECK(h.relay_once() == 2);
    CHECK(h.queue.sent == std::vector<std::string>{body_for(2), body_for(3)});
    CHECK(h.ledger.outbox_sent.count("g0001") == 0);  // still pending, tried again next pass
    CHECK(relayed(h, "error") == 1);
    CHECK(relayed(h, "ok") == 2);
    CHECK(h.relay_once() == 1);
    CHECK(h.ledger.outbox_sent.count("g0001") == 1);
}

TEST_CASE("at least once: an entry whose mark is lost is sent again", "[outbox]") {
    IntakeHarness h;
    add_old_entries(h, 1);
    for (int i = 0; i < 5; ++i)
        h.ledger.mark_sent_failures.push_back(aws_error(ErrorKind::transient, "ledger", "08006"));
    CHECK(h.relay_once() == 1);
    CHECK(h.ledger.outbox_sent.empty());
    CHECK(h.relay_once() == 1);
    CHECK(h.queue.sent == std::vector<std::string>{body_for(1), body_for(1)});
    CHECK(h.ledger.outbox_sent.count("g0001") == 1);
    CHECK(relayed(h, "ok") == 2);
}

TEST_CASE("a ledger that cannot list the outbox sends nothing", "[outbox]") {
    IntakeHarness h;
    add_old_entries(h, 2);
    for (int i = 0; i < 5; ++i)
        h.ledger.pending_failures.push_back(aws_error(ErrorKind::transient, "ledger", "57P01"));
    CHECK(h.relay_once() == 0);
    CHECK(h.queue.sent.empty());
    CHECK(h.metrics.total("scaleup_outbox_relayed_total") == 0);
    CHECK(h.relay_once() == 2);
}

TEST_CASE("a pass ends by its deadline when the queue does not answer", "[outbox]") {
    IntakeHarness h;
    add_old_entries(h, 3);
    h.queue.latency = seconds(30);
    const Instant start = h.rt.now();
    int sent = -1;
    Instant done_at{};
    h.rt.spawn(timed_relay(h.rt, h.relay, start + seconds(5), sent, done_at));
    h.rt.run();
    CHECK(sent == 0);
    CHECK(done_at == start + seconds(5));  // read at 5 ms, the send try cut at the deadline
    CHECK(relayed(h, "error") == 1);
    // The abandoned send still landed (the far side acted): unmarked, so sent again next pass.
    CHECK(h.queue.sent.size() == 1);
    CHECK(h.ledger.outbox_sent.empty());
}

TEST_CASE("the relay loop drains a backlog at once, then waits its interval, until stopped",
          "[outbox]") {
    IntakeHarness h;
    add_old_entries(h, 250);
    const Instant start = h.rt.now();
    CancellationSource stop;
    h.rt.spawn(h.relay.run(stop.token(), seconds(5)));

    // Each entry: send 10 ms + mark 5 ms + note 5 ms; each pass reads (5 ms) up to 100 entries.
    // Passes of 100, 100 and 50 run back to back: 3 * 5 ms + 250 * 20 ms = 5.015 s, the last mark
    // landing 5 ms before the end.
    h.rt.run_until(start + seconds(5) + milliseconds(9));
    CHECK(h.ledger.outbox_sent.size() == 249);
    h.rt.run_until(start + seconds(5) + milliseconds(10));
    CHECK(h.ledger.outbox_sent.size() == 250);
    CHECK(h.queue.sent.size() == 250);

    // A new settled entry waits for the next pass: 5 s after the last one ended.
    const std::string guid = "late";
    h.ledger.deliveries[guid] = OutboxEntry{guid, 999, body_for(999), start - minutes(1)};
    h.rt.run_until(start + seconds(10) + milliseconds(15));
    CHECK(h.queue.sent.size() == 250);
    h.rt.run_until(start + seconds(10) + milliseconds(15 + 5 + 10));
    CHECK(h.queue.sent.size() == 251);

    stop.cancel(h.rt);
    h.rt.run();
    CHECK(h.rt.live_tasks() == 0);
    CHECK(relayed(h, "ok") == 251);
}
