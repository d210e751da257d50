// SimulatedSqs: the standard queue's semantics (service-semantics.md section 2) and its faults, on
// the simulated clock. Latency is zero unless a test says otherwise, so times are exact.
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "sim/backends/simulated_sqs.hpp"
#include "sim/runtime/determinism_check.hpp"
#include "sim/runtime/simulated_runtime.hpp"

using namespace scaleup;
using namespace scaleup::sim;

namespace {

using Messages = std::vector<QueueMessage>;

template <typename T>
Task<void> store_into(Task<T> task, std::optional<T>& out) {
    out.emplace(co_await std::move(task));
}

/// Runs one call to completion on the simulated clock (other tasks run meanwhile).
template <typename T>
T sync(SimulatedRuntime& rt, Task<T> task) {
    std::optional<T> out;
    rt.spawn(store_into(std::move(task), out));
    while (!out)
        REQUIRE(rt.step());
    return std::move(*out);
}

SimulatedSqs::Options exact(SimulatedSqs::Options o = {}) {
    o.latency = LatencyRange{Duration{0}, Duration{0}};
    return o;
}

struct Queue {
    explicit Queue(SimulatedSqs::Options o = exact(), std::uint64_t seed = 11)
        : rt(seed), sqs(rt, std::move(o)), t0(rt.now()) {}

    void send(std::string body, Duration delay = Duration{0}) {
        REQUIRE(sync(rt, sqs.send(std::move(body), delay)).ok());
    }
    Messages receive(int max = 10, Duration wait = Duration{0}) {
        auto r = sync(rt, sqs.receive(max, wait));
        REQUIRE(r.ok());
        return r.value();
    }
    Status remove(const std::string& handle) { return sync(rt, sqs.delete_message(handle)); }
    Status change(const std::string& handle, Duration timeout) {
        return sync(rt, sqs.change_visibility(handle, timeout));
    }
    void at(Duration since_start) { rt.run_until(t0 + since_start); }

    SimulatedRuntime rt;
    SimulatedSqs sqs;
    Instant t0;
};

}  // namespace

TEST_CASE("sqs: a message not deleted comes back after its visibility timeout with a new handle",
          "[sim-sqs]") {
    Queue q(exact({.visibility_timeout = seconds(30)}));
    q.send("job-1");
    const Messages first = q.receive();
    REQUIRE(first.size() == 1);
    CHECK(first[0].id == "msg-000001");
    CHECK(first[0].receive_count == 1);
    CHECK(first[0].sent_at == q.t0);
    CHECK(q.receive().empty());  // invisible while in flight
    q.at(seconds(30) - nanoseconds(1));
    CHECK(q.receive().empty());
    CHECK(q.sqs.in_flight_count() == 1);
    q.at(seconds(30));
    const Messages again = q.receive();
    REQUIRE(again.size() == 1);
    CHECK(again[0].id == "msg-000001");
    CHECK(again[0].receive_count == 2);
    CHECK(again[0].receipt_handle != first[0].receipt_handle);
    const auto* record = q.sqs.record("msg-000001");
    REQUIRE(record != nullptr);
    CHECK(record->receives == 2);
    CHECK(record->first_received_at == q.t0);
    CHECK(record->last_received_at == q.t0 + seconds(30));
}

TEST_CASE("sqs: the receive count rises with every receive", "[sim-sqs]") {
    Queue q(exact({.visibility_timeout = seconds(10)}));
    q.send("job-1");
    for (int i = 1; i <= 5; ++i) {
        q.at(seconds(10) * (i - 1));
        const Messages m = q.receive();
        REQUIRE(m.size() == 1);
        CHECK(m[0].receive_count == i);
    }
    CHECK(q.sqs.counters().received == 5);
}

TEST_CASE("sqs: a delete with a stale receipt handle returns success and deletes nothing",
          "[sim-sqs]") {
    Queue q(exact({.visibility_timeout = seconds(30)}));
    q.send("job-1");
    const std::string stale = q.receive().at(0).receipt_handle;
    q.at(seconds(30));
    const std::string latest = q.receive().at(0).receipt_handle;

    CHECK(q.remove(stale).ok());
    CHECK(q.sqs.size() == 1);
    CHECK_FALSE(q.sqs.record("msg-000001")->deleted_at.has_value());
    REQUIRE(q.sqs.ack_log().size() == 1);
    CHECK_FALSE(q.sqs.ack_log()[0].effective);
    CHECK(q.sqs.counters().stale_deletes == 1);

    CHECK(q.remove(latest).ok());
    CHECK(q.sqs.size() == 0);
    CHECK(q.sqs.record("msg-000001")->deleted_at == q.t0 + seconds(30));
    REQUIRE(q.sqs.ack_log().size() == 2);
    CHECK(q.sqs.ack_log()[1].effective);
    CHECK(q.sqs.ack_log()[1].at == q.t0 + seconds(30));
    q.at(minutes(5));
    CHECK(q.receive().empty());

    const Status bogus = q.remove("not-a-handle");
    REQUIRE_FALSE(bogus.ok());
    CHECK(bogus.error().kind == ErrorKind::invalid);
    CHECK(bogus.error().code == "ReceiptHandleIsInvalid");
}

TEST_CASE("sqs: only a handle the queue issued is a receipt handle, stale or not", "[sim-sqs]") {
    // The queue reads the message and receive out of a handle's text: a text it did not write
    // must not pass for one, however close.
    Queue q(exact({.visibility_timeout = seconds(30)}));
    q.send("job-1");
    const std::string first = q.receive().at(0).receipt_handle;
    CHECK(first == "rh-msg-000001-1");
    for (const std::string forged :
         {"rh-msg-000001-2", "rh-msg-000001-0", "rh-msg-000001-01", "rh-msg-000001--1",
          "rh-msg-000001-1x", "rh-msg-000001-", "rh-msg-0000001-1", "rh-msg-000002-1",
          "rh-msg-000000-1", "rh-msg-", "msg-000001-1", ""}) {
        CAPTURE(forged);
        const Status deleted = q.remove(forged);
        REQUIRE_FALSE(deleted.ok());
        CHECK(deleted.error().code == "ReceiptHandleIsInvalid");
        const Status changed = q.change(forged, seconds(5));
        REQUIRE_FALSE(changed.ok());
        CHECK(changed.error().code == "ReceiptHandleIsInvalid");
    }
    CHECK(q.sqs.ack_log().empty());
    q.at(seconds(30));
    CHECK(q.receive().at(0).receipt_handle == "rh-msg-000001-2");
    CHECK(q.change(first, seconds(5)).error().code == "InvalidParameterValue");  // stale: expired
    CHECK(q.remove(first).ok());  // stale: succeeds, deletes nothing
    CHECK(q.sqs.size() == 1);
}

TEST_CASE("sqs: after maxReceiveCount receives the next receive moves the message to the DLQ",
          "[sim-sqs]") {
    Queue q(exact({.visibility_timeout = seconds(10), .max_receive_count = 3}));
    q.send("poison");
    q.send("fine");
    CHECK(q.receive(1).at(0).id == "msg-000001");
    q.at(seconds(10));
    CHECK(q.receive(1).at(0).receive_count == 2);
    q.at(seconds(20));
    CHECK(q.receive(1).at(0).receive_count == 3);
    CHECK(q.sqs.dead_letters().empty());
    q.at(seconds(30));
    // The fourth attempt redrives msg-000001 and delivers the next message instead.
    const Messages m = q.receive(1);
    REQUIRE(m.size() == 1);
    CHECK(m[0].id == "msg-000002");
    REQUIRE(q.sqs.dead_letters().size() == 1);
    const auto& letter = q.sqs.dead_letters()[0];
    CHECK(letter.id == "msg-000001");
    CHECK(letter.body == "poison");
    CHECK(letter.redriven);
    CHECK(letter.receive_count == 3);
    CHECK(letter.at == q.t0 + seconds(30));
    const auto* record = q.sqs.record("msg-000001");
    CHECK(record->dead_lettered);
    CHECK(record->dead_letter_reason == "maxReceiveCount 3 exceeded");
    CHECK_FALSE(record->in_queue);
    CHECK(q.sqs.counters().redriven == 1);
}

TEST_CASE("sqs: a message past its retention period is deleted silently, in flight or not",
          "[sim-sqs]") {
    Queue q(exact({.visibility_timeout = hours(1), .retention_period = minutes(10)}));
    q.send("job-1");
    q.at(minutes(1));
    q.send("job-2");
    const std::string handle = q.receive(1).at(0).receipt_handle;  // job-1 stays in flight

    q.at(minutes(10) - nanoseconds(1));
    CHECK(q.sqs.expired_count() == 0);
    q.at(minutes(10));  // no call needed: expiry happens on time
    CHECK(q.sqs.expired_count() == 1);
    CHECK(q.sqs.expired_message_ids() == std::vector<std::string>{"msg-000001"});
    CHECK(q.sqs.record("msg-000001")->expired_at == q.t0 + minutes(10));
    CHECK(q.sqs.size() == 1);

    q.at(minutes(11));
    CHECK(q.sqs.expired_message_ids() == std::vector<std::string>{"msg-000001", "msg-000002"});
    CHECK(q.sqs.record("msg-000002")->receives == 0);  // a job nobody ever saw: lost
    CHECK(q.sqs.size() == 0);
    CHECK(q.remove(handle).ok());  // success, but nothing was there to delete
    CHECK_FALSE(q.sqs.ack_log().back().effective);
}

TEST_CASE("sqs: DelaySeconds hides a message until the delay ends, over 15 minutes is rejected",
          "[sim-sqs]") {
    Queue q;
    q.send("later", minutes(5));
    CHECK(q.receive().empty());
    q.at(minutes(5) - nanoseconds(1));
    CHECK(q.receive().empty());
    q.at(minutes(5));
    CHECK(q.receive().size() == 1);

    q.send("at-the-limit", minutes(15));
    const Status rejected = sync(q.rt, q.sqs.send("too-late", minutes(15) + seconds(1)));
    REQUIRE_FALSE(rejected.ok());
    CHECK(rejected.error().kind == ErrorKind::invalid);
    CHECK(rejected.error().code == "InvalidParameterValue");
    CHECK(rejected.error().message.find("DelaySeconds") != std::string::npos);
    CHECK(q.sqs.counters().sent == 2);
    CHECK(q.sqs.records().size() == 2);
}

TEST_CASE("sqs: change visibility counts from the call, 0 is at once, beyond 12 h is rejected",
          "[sim-sqs]") {
    Queue q(exact({.visibility_timeout = seconds(30)}));
    q.send("job-1");
    const std::string h1 = q.receive().at(0).receipt_handle;
    q.at(seconds(10));
    REQUIRE(q.change(h1, seconds(60)).ok());  // visible at 70 s, not 90 s
    q.at(seconds(70) - nanoseconds(1));
    CHECK(q.receive().empty());
    q.at(seconds(70));
    const std::string h2 = q.receive().at(0).receipt_handle;  // received at 70 s

    const Status stale = q.change(h1, seconds(5));
    REQUIRE_FALSE(stale.ok());
    CHECK(stale.error().code == "InvalidParameterValue");

    REQUIRE(q.change(h2, hours(12)).ok());  // exactly 12 h from the receive
    q.at(seconds(70) + hours(1));
    const Status beyond = q.change(h2, hours(11) + seconds(1));
    REQUIRE_FALSE(beyond.ok());
    CHECK(beyond.error().kind == ErrorKind::invalid);
    CHECK(beyond.error().message.find("beyond the limit") != std::string::npos);
    CHECK(q.receive().empty());  // not clamped: the earlier timeout stands
    REQUIRE(q.change(h2, hours(11)).ok());
    CHECK(q.change(h2, hours(13)).error().code == "InvalidParameterValue");

    REQUIRE(q.change(h2, Duration{0}).ok());
    const Messages now = q.receive();
    REQUIRE(now.size() == 1);
    CHECK(now[0].receive_count == 3);
    CHECK(q.change(now[0].receipt_handle, Duration{0}).ok());
    CHECK(q.change(now[0].receipt_handle, seconds(5)).error().code == "MessageNotInflight");
}

namespace {
struct Timed {
    std::optional<Result<Messages>> result;
    Instant at{};
};
/// Waits `after`, then receives up to `max` messages with a `wait` long poll.
Task<void> receive_timed(Runtime& r, SimulatedSqs& sqs, Duration wait, Timed& out, int max = 10,
                         Duration after = Duration{0}) {
    co_await r.sleep(after);
    out.result.emplace(co_await sqs.receive(max, wait));
    out.at = r.now();
}
Task<void> send_after(Runtime& r, SimulatedSqs& sqs, Duration after, std::string body) {
    co_await r.sleep(after);
    const Status sent = co_await sqs.send(std::move(body), Duration{0});
    REQUIRE(sent.ok());
}
}  // namespace

TEST_CASE("sqs: a long poll returns as soon as a message arrives, else empty when the wait ends",
          "[sim-sqs]") {
    Queue q(exact({.visibility_timeout = seconds(5)}));
    Timed early;
    q.rt.spawn(receive_timed(q.rt, q.sqs, seconds(20), early));
    q.rt.spawn(send_after(q.rt, q.sqs, seconds(7), "job-1"));
    q.at(seconds(10));
    REQUIRE(early.result.has_value());
    CHECK(early.at == q.t0 + seconds(7));
    REQUIRE(early.result->value().size() == 1);

    // Its visibility ends at 12 s: a poll started at 10 s returns then, not at 30 s.
    Timed reappear;
    q.rt.spawn(receive_timed(q.rt, q.sqs, seconds(20), reappear));
    q.at(seconds(12) - nanoseconds(1));
    CHECK_FALSE(reappear.result.has_value());
    q.at(seconds(12));
    REQUIRE(reappear.result.has_value());
    CHECK(reappear.at == q.t0 + seconds(12));
    REQUIRE(reappear.result->value().size() == 1);
    CHECK(reappear.result->value()[0].receive_count == 2);
    REQUIRE(q.remove(reappear.result->value()[0].receipt_handle).ok());

    Timed empty;
    q.rt.spawn(receive_timed(q.rt, q.sqs, seconds(20), empty));
    q.at(seconds(32) - nanoseconds(1));
    CHECK_FALSE(empty.result.has_value());
    q.at(seconds(32));
    REQUIRE(empty.result.has_value());
    CHECK(empty.result->value().empty());
}

TEST_CASE("sqs: waiting long polls get messages in the order they began waiting", "[sim-sqs]") {
    Queue q;
    std::vector<Timed> polls(3);
    for (int i = 0; i < 3; ++i)
        q.rt.spawn(receive_timed(q.rt, q.sqs, seconds(20), polls[static_cast<std::size_t>(i)], 1,
                                 seconds(i)));
    q.at(seconds(5));
    q.rt.spawn(send_after(q.rt, q.sqs, Duration{0}, "first"));
    q.rt.spawn(send_after(q.rt, q.sqs, Duration{0}, "second"));
    q.at(seconds(5));
    // Two messages, one each for the first two in line; the third goes on waiting.
    REQUIRE(polls[0].result.has_value());
    REQUIRE(polls[1].result.has_value());
    CHECK(polls[0].result->value().at(0).body == "first");
    CHECK(polls[1].result->value().at(0).body == "second");
    CHECK(polls[0].at == q.t0 + seconds(5));
    CHECK(polls[1].at == q.t0 + seconds(5));
    CHECK_FALSE(polls[2].result.has_value());
    q.at(seconds(22) - nanoseconds(1));
    CHECK_FALSE(polls[2].result.has_value());
    q.at(seconds(22));
    REQUIRE(polls[2].result.has_value());
    CHECK(polls[2].result->value().empty());
}

TEST_CASE("sqs: a long poll woken for a message it cannot have keeps its place in line",
          "[sim-sqs]") {
    // The only message has used its one receive: when its visibility ends, the first poll in line
    // wakes for it and finds it moved to the dead-letter queue instead. It stays first: the next
    // message is its, not the second poll's.
    Queue q(exact({.visibility_timeout = seconds(5), .max_receive_count = 1}));
    q.send("used-up");
    REQUIRE(q.receive(10, Duration{0}).size() == 1);
    Timed first, second;
    q.rt.spawn(receive_timed(q.rt, q.sqs, seconds(20), first, 1));
    q.rt.spawn(receive_timed(q.rt, q.sqs, seconds(20), second, 1, seconds(1)));
    q.at(seconds(5));
    CHECK(q.sqs.dead_letters().size() == 1);
    CHECK_FALSE(first.result.has_value());
    q.at(seconds(8));
    q.rt.spawn(send_after(q.rt, q.sqs, Duration{0}, "next"));
    q.at(seconds(8));
    REQUIRE(first.result.has_value());
    CHECK(first.result->value().at(0).body == "next");
    CHECK_FALSE(second.result.has_value());
}

TEST_CASE("sqs: a queue destroyed while polls wait leaves them to the runtime", "[sim-sqs]") {
    SimulatedRuntime rt(3);
    std::vector<Timed> polls(2);
    {
        SimulatedSqs sqs(rt, exact());
        rt.spawn(receive_timed(rt, sqs, seconds(20), polls[0], 1));
        rt.spawn(receive_timed(rt, sqs, seconds(20), polls[1], 1));
        rt.run_until(rt.now() + seconds(1));
    }
    // The waiting coroutines are destroyed with the runtime's tasks, after the queue (ASan checks
    // that they do not reach back into it).
    CHECK_FALSE(polls[0].result.has_value());
    CHECK_FALSE(polls[1].result.has_value());
}

TEST_CASE("sqs: a short poll can come back empty although messages exist", "[sim-sqs]") {
    Queue q(exact({.short_poll_sample_threshold = 5, .short_poll_empty = Ratio::always()}));
    for (int i = 0; i < 4; ++i)
        q.send("job");
    CHECK(q.receive(10, Duration{0}).empty());
    CHECK(q.sqs.visible_count() == 4);
    CHECK(q.sqs.counters().empty_receives == 1);
    CHECK(q.receive(10, seconds(1)).size() == 4);  // a long poll asks every server
    for (int i = 0; i < 5; ++i)
        q.send("job");
    CHECK(q.receive(10, Duration{0}).size() == 5);  // enough messages: sampling finds them
}

TEST_CASE("sqs: with duplicates at 100% a deleted message is delivered again", "[sim-sqs]") {
    Queue q(exact({.visibility_timeout = seconds(30), .duplicate_after_delete = Ratio::always()}));
    q.send("job-1");
    const std::string handle = q.receive().at(0).receipt_handle;
    q.at(seconds(5));
    REQUIRE(q.remove(handle).ok());
    CHECK(q.sqs.ack_log().at(0).effective);
    CHECK(q.sqs.record("msg-000001")->deleted_at == q.t0 + seconds(5));
    CHECK(q.receive().empty());
    q.at(seconds(30));
    const Messages again = q.receive();
    REQUIRE(again.size() == 1);
    CHECK(again[0].receive_count == 2);
    CHECK(q.sqs.record("msg-000001")->deliveries_after_delete == 1);
    CHECK(q.sqs.counters().duplicates_scheduled == 1);
    CHECK(q.remove(handle).ok());  // the spent handle does nothing
    CHECK_FALSE(q.sqs.ack_log().back().effective);
}

TEST_CASE("sqs: inside an outage window every call fails with ServiceUnavailable", "[sim-sqs]") {
    Queue q(exact({.outages = {FaultWindow{kSimulationEpoch + seconds(10),
                                           kSimulationEpoch + seconds(20)}}}));
    q.send("job-1");
    const std::string handle = q.receive().at(0).receipt_handle;
    q.at(seconds(10));
    const auto check_unavailable = [](const ServiceError& e) {
        CHECK(e.kind == ErrorKind::transient);
        CHECK(e.code == "ServiceUnavailable");
        CHECK(e.service == "sqs");
    };
    check_unavailable(sync(q.rt, q.sqs.send("job-2", Duration{0})).error());
    check_unavailable(sync(q.rt, q.sqs.receive(10, seconds(20))).error());
    check_unavailable(q.remove(handle).error());
    check_unavailable(q.change(handle, seconds(1)).error());
    check_unavailable(sync(q.rt, q.sqs.send_to_dead_letter("x", "why")).error());
    CHECK(q.sqs.counters().unavailable == 5);
    CHECK(q.sqs.size() == 1);
    CHECK(q.sqs.ack_log().empty());
    q.at(seconds(20));
    CHECK(q.remove(handle).ok());
    CHECK(q.sqs.size() == 0);
}

TEST_CASE("sqs: throttled calls fail with a throttling code and do nothing", "[sim-sqs]") {
    Queue q(exact({.throttling = Ratio::always()}));
    std::vector<std::string> codes;
    for (int i = 0; i < 20; ++i) {
        const Status s = sync(q.rt, q.sqs.send("job", Duration{0}));
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().kind == ErrorKind::throttled);
        codes.push_back(s.error().code);
    }
    CHECK(std::count(codes.begin(), codes.end(), "ThrottlingException") > 0);
    CHECK(std::count(codes.begin(), codes.end(), "RequestThrottled") > 0);
    CHECK(std::count(codes.begin(), codes.end(), "ThrottlingException") +
              std::count(codes.begin(), codes.end(), "RequestThrottled") ==
          20);
    CHECK(q.sqs.records().empty());
}

TEST_CASE("sqs: send_to_dead_letter puts the body on the DLQ with its reason", "[sim-sqs]") {
    Queue q;
    REQUIRE(sync(q.rt, q.sqs.send_to_dead_letter("{bad", "/job_id: expected an integer")).ok());
    REQUIRE(q.sqs.dead_letters().size() == 1);
    const auto& letter = q.sqs.dead_letters()[0];
    CHECK(letter.id == "dlq-000001");
    CHECK(letter.body == "{bad");
    CHECK(letter.reason == "/job_id: expected an integer");
    CHECK_FALSE(letter.redriven);
    CHECK(q.sqs.size() == 0);
}

TEST_CASE("sqs: requests outside the service's limits are rejected", "[sim-sqs]") {
    Queue q(exact({.max_message_bytes = 1024}));
    CHECK(sync(q.rt, q.sqs.receive(11, Duration{0})).error().code == "InvalidParameterValue");
    CHECK(sync(q.rt, q.sqs.receive(0, Duration{0})).error().code == "InvalidParameterValue");
    CHECK(sync(q.rt, q.sqs.receive(10, seconds(21))).error().code == "InvalidParameterValue");
    CHECK(sync(q.rt, q.sqs.send("", Duration{0})).error().code == "MissingParameter");
    CHECK(sync(q.rt, q.sqs.send(std::string(1025, 'x'), Duration{0})).error().code ==
          "InvalidParameterValue");
    CHECK(sync(q.rt, q.sqs.send("nul\x01", Duration{0})).error().code == "InvalidMessageContents");
    CHECK(sync(q.rt, q.sqs.send("bad utf-8 \xff", Duration{0})).error().code ==
          "InvalidMessageContents");
    CHECK(sync(q.rt, q.sqs.send("caf\xc3\xa9\ttab", Duration{0})).ok());
    CHECK(sync(q.rt, q.sqs.send(std::string(1024, 'x'), Duration{0})).ok());
    CHECK(q.sqs.counters().rejected == 7);
    CHECK(q.sqs.counters().sent == 2);
}

namespace {
// A busy queue with every fault on: senders, receivers that delete most of what they get.
Task<void> churn(Runtime& r, SimulatedSqs& sqs, int rounds) {
    for (int i = 0; i < rounds; ++i) {
        const Status sent = co_await sqs.send("job", r.random().between(Duration{0}, seconds(3)));
        (void)sent;
        auto got = co_await sqs.receive(static_cast<int>(r.random().between(1, 10)),
                                        r.random().between(Duration{0}, seconds(2)));
        if (!got.ok())
            continue;
        for (const auto& m : got.value()) {
            if (r.random().chance(Ratio{3, 4})) {
                const Status deleted = co_await sqs.delete_message(m.receipt_handle);
                (void)deleted;
            }
        }
    }
}

void faulty_run(std::uint64_t seed, TraceRecorder& trace) {
    SimulatedRuntime rt(seed, &trace);
    SimulatedSqs::Options o;
    o.visibility_timeout = seconds(5);
    o.retention_period = minutes(2);
    o.max_receive_count = 4;
    o.short_poll_empty = Ratio{1, 2};
    o.duplicate_after_delete = Ratio{1, 5};
    o.throttling = Ratio{1, 10};
    SimulatedSqs sqs(rt, o);
    for (int i = 0; i < 3; ++i)
        rt.spawn(churn(rt, sqs, 40));
    rt.run_until(rt.now() + minutes(10));
}
}  // namespace

TEST_CASE("sqs: the same seed gives the same trace, with every fault on", "[sim-sqs]") {
    const auto report = check_determinism([](TraceRecorder& t) { faulty_run(5, t); });
    INFO(report.describe());
    CHECK(report.deterministic);
    CHECK(report.first_events > 200);
    TraceRecorder other;
    faulty_run(6, other);
    CHECK(other.hash() != report.first_hash);
}
