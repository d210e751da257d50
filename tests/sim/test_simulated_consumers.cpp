// SimulatedConsumers: the Lambda event source mapping over a SimulatedSqs (service-semantics.md
// section 3), with plug-in handlers. Queue latency is zero, so times are exact.
#include <catch2/catch.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/backends/simulated_consumers.hpp"
#include "sim/backends/simulated_sqs.hpp"
#include "sim/runtime/determinism_check.hpp"
#include "sim/runtime/simulated_runtime.hpp"

using namespace scaleup;
using namespace scaleup::sim;

// The file's own namespace: in a unity build (scripts/test) its helpers share a translation unit
// with other test files'.
namespace simulated_consumers_test {

namespace {

using Messages = std::vector<QueueMessage>;
using Ids = std::vector<std::string>;

/// What the handler saw: one entry per call.
struct Calls {
    std::vector<Instant> at;
    std::vector<Ids> ids;
    std::vector<Instant> deadlines;
    int finished = 0;  // calls that ran to their end (abandoned ones too)
};

void note(Runtime& r, Calls& calls, const Messages& batch, Instant deadline) {
    calls.at.push_back(r.now());
    Ids ids;
    for (const auto& m : batch)
        ids.push_back(m.id);
    calls.ids.push_back(ids);
    calls.deadlines.push_back(deadline);
}

/// Works `work`, then reports the messages named in `failing` as item failures.
Task<BatchResult> listing_handler(Runtime& r, Calls& calls, const Ids& failing, Duration work,
                                  Messages batch, Instant deadline) {
    note(r, calls, batch, deadline);
    co_await r.sleep(work);
    BatchResult result;
    for (const auto& m : batch) {
        if (std::find(failing.begin(), failing.end(), m.id) != failing.end())
            result.item_failures.push_back(m.id);
    }
    ++calls.finished;
    co_return result;
}

/// Returns `failures` as they are, whether or not the batch holds them.
Task<BatchResult> verbatim_handler(Runtime& r, Calls& calls, const Ids& failures, Messages batch,
                                   Instant deadline) {
    note(r, calls, batch, deadline);
    co_await r.sleep(seconds(1));
    BatchResult result;
    result.item_failures = failures;
    co_return result;
}

Task<BatchResult> throwing_handler(Runtime& r, Calls& calls, Messages batch, Instant deadline) {
    note(r, calls, batch, deadline);
    co_await r.sleep(seconds(1));
    throw std::runtime_error("TypeError: Cannot read properties of undefined");
}

/// Slow on a message's first delivery, quick afterwards.
Task<BatchResult> slow_first_handler(Runtime& r, Calls& calls, Messages batch, Instant deadline) {
    note(r, calls, batch, deadline);
    co_await r.sleep(batch.at(0).receive_count == 1 ? seconds(45) : seconds(1));
    ++calls.finished;
    co_return BatchResult{};
}

SimulatedSqs::Options queue_options() {
    SimulatedSqs::Options o;
    o.visibility_timeout = seconds(60);
    o.latency = LatencyRange{Duration{0}, Duration{0}};
    return o;
}

struct World {
    explicit World(SimulatedConsumers::Options c, SimulatedSqs::Options q = queue_options(),
                   std::uint64_t seed = 21)
        : rt(seed), sqs(rt, std::move(q)), consumer_options(std::move(c)), t0(rt.now()) {}

    void send(int n) {
        for (int i = 0; i < n; ++i)
            rt.spawn(send_one(sqs));
        rt.run_until(rt.now());
    }
    static Task<void> send_one(SimulatedSqs& sqs) {
        const Status sent = co_await sqs.send("job", Duration{0});
        REQUIRE(sent.ok());
    }
    /// Starts consumers running `handler`.
    SimulatedConsumers& start(SimulatedConsumers::Handler handler) {
        consumers.emplace(rt, sqs, std::move(handler), consumer_options);
        consumers->start();
        return *consumers;
    }
    void at(Duration since_start) { rt.run_until(t0 + since_start); }

    SimulatedRuntime rt;
    SimulatedSqs sqs;
    SimulatedConsumers::Options consumer_options;
    std::optional<SimulatedConsumers> consumers;
    Instant t0;
};

SimulatedConsumers::Options one_consumer() {
    SimulatedConsumers::Options o;
    o.consumers = 1;
    o.function_timeout = seconds(30);
    return o;
}

}  // namespace

TEST_CASE("consumers: a partial batch response deletes only the acknowledged messages",
          "[sim-consumers]") {
    World w(one_consumer());
    w.send(3);
    Calls calls;
    const Ids failing{"msg-000002"};
    auto& consumers = w.start([&](Messages b, Instant d) {
        return listing_handler(w.rt, calls, failing, seconds(2), std::move(b), d);
    });
    w.at(seconds(5));
    REQUIRE(consumers.invocations().size() == 1);
    const auto& first = consumers.invocations()[0];
    CHECK(first.message_ids == Ids{"msg-000001", "msg-000002", "msg-000003"});
    CHECK(first.outcome == SimulatedConsumers::Outcome::partial);
    CHECK(first.deleted == Ids{"msg-000001", "msg-000003"});
    CHECK(first.finished == w.t0 + seconds(2));
    CHECK(calls.deadlines.at(0) == w.t0 + seconds(30));
    CHECK(w.sqs.size() == 1);
    CHECK(w.sqs.record("msg-000002")->in_queue);
    CHECK_FALSE(w.sqs.record("msg-000002")->deleted_at.has_value());

    // The kept message comes back when its visibility timeout ends, alone.
    w.at(seconds(60) + seconds(3));
    REQUIRE(calls.at.size() == 2);
    CHECK(calls.at[1] == w.t0 + seconds(60));
    CHECK(calls.ids[1] == Ids{"msg-000002"});
    CHECK(consumers.counters().batches_partial == 2);
    CHECK(consumers.counters().messages_deleted == 2);
    CHECK(consumers.counters().batches_failed_whole == 0);

    consumers.stop();
    w.at(seconds(63) + seconds(21));
    CHECK(consumers.active_pollers() == 0);
}

TEST_CASE("consumers: an item failure naming a message not in the batch fails the whole batch",
          "[sim-consumers]") {
    World w(one_consumer());
    w.send(2);
    Calls calls;
    const Ids failures{"msg-000001", "msg-999999"};
    auto& consumers = w.start([&](Messages b, Instant d) {
        return verbatim_handler(w.rt, calls, failures, std::move(b), d);
    });
    w.at(seconds(59));
    REQUIRE(consumers.invocations().size() == 1);
    CHECK(consumers.invocations()[0].outcome == SimulatedConsumers::Outcome::unknown_item);
    CHECK(consumers.invocations()[0].error == "msg-999999");
    CHECK(consumers.invocations()[0].deleted.empty());
    CHECK(consumers.counters().unknown_item_failures == 1);
    CHECK(consumers.counters().batches_failed_whole == 1);
    CHECK(w.sqs.ack_log().empty());
    w.at(seconds(60));
    REQUIRE(calls.at.size() == 2);
    CHECK(calls.at[1] == w.t0 + seconds(60));
    CHECK(calls.ids[1] == Ids{"msg-000001", "msg-000002"});
    consumers.stop();
}

TEST_CASE("consumers: a handler that throws fails the whole batch", "[sim-consumers]") {
    World w(one_consumer());
    w.send(2);
    Calls calls;
    auto& consumers = w.start(
        [&](Messages b, Instant d) { return throwing_handler(w.rt, calls, std::move(b), d); });
    w.at(seconds(59));
    REQUIRE(consumers.invocations().size() == 1);
    const auto& invocation = consumers.invocations()[0];
    CHECK(invocation.outcome == SimulatedConsumers::Outcome::handler_error);
    CHECK(invocation.error == "TypeError: Cannot read properties of undefined");
    CHECK(invocation.finished == w.t0 + seconds(1));
    CHECK(consumers.counters().handler_errors == 1);
    CHECK(consumers.counters().messages_deleted == 0);
    CHECK(w.sqs.size() == 2);
    w.at(seconds(60));
    CHECK(calls.at.size() == 2);
    consumers.stop();
}

TEST_CASE("consumers: a handler past the function timeout fails the whole batch, which comes back",
          "[sim-consumers]") {
    World w(one_consumer());
    w.send(2);
    Calls calls;
    auto& consumers = w.start(
        [&](Messages b, Instant d) { return slow_first_handler(w.rt, calls, std::move(b), d); });
    w.at(seconds(59));
    REQUIRE(consumers.invocations().size() == 1);
    const auto& timed_out = consumers.invocations()[0];
    CHECK(timed_out.outcome == SimulatedConsumers::Outcome::timed_out);
    CHECK(timed_out.finished == w.t0 + seconds(30));
    CHECK(timed_out.deleted.empty());
    CHECK(consumers.counters().timeouts == 1);
    CHECK(calls.finished == 1);  // the abandoned handler still ran to its end, at 45 s
    CHECK(w.sqs.size() == 2);

    w.at(seconds(62));
    REQUIRE(consumers.invocations().size() == 2);
    const auto& retried = consumers.invocations()[1];
    CHECK(retried.started == w.t0 + seconds(60));  // the visibility timeout, not earlier
    CHECK(retried.outcome == SimulatedConsumers::Outcome::succeeded);
    CHECK(retried.deleted == Ids{"msg-000001", "msg-000002"});
    CHECK(w.sqs.size() == 0);
    CHECK(w.sqs.record("msg-000001")->receives == 2);
    consumers.stop();
}

TEST_CASE("consumers: N pollers work through a backlog concurrently", "[sim-consumers]") {
    const int pollers = GENERATE(1, 4);
    SimulatedConsumers::Options o;
    o.consumers = pollers;
    o.batch_size = 5;
    World w(o);
    w.send(40);
    Calls calls;
    const Ids none;
    auto& consumers = w.start([&](Messages b, Instant d) {
        return listing_handler(w.rt, calls, none, seconds(10), std::move(b), d);
    });
    w.at(minutes(2));
    CHECK(consumers.counters().invocations == 8);
    CHECK(consumers.counters().messages_deleted == 40);
    CHECK(consumers.counters().max_concurrent_invocations == pollers);
    CHECK(w.sqs.size() == 0);
    Instant last{};
    for (const auto& invocation : consumers.invocations()) {
        CHECK(invocation.message_ids.size() == 5);
        last = std::max(last, invocation.finished);
    }
    CHECK(last == w.t0 + seconds(10) * (8 / pollers));
    consumers.stop();
}

TEST_CASE("consumers: a batching window waits to fill the batch", "[sim-consumers]") {
    SimulatedConsumers::Options o = one_consumer();
    o.batching_window = seconds(30);
    World w(o);
    Calls calls;
    const Ids none;
    auto& consumers = w.start([&](Messages b, Instant d) {
        return listing_handler(w.rt, calls, none, seconds(1), std::move(b), d);
    });
    w.at(seconds(5));
    w.send(1);
    w.at(seconds(15));
    w.send(2);
    w.at(seconds(40));
    REQUIRE(calls.at.size() == 1);
    CHECK(calls.at[0] == w.t0 + seconds(35));  // the window runs from the first message
    CHECK(calls.ids[0] == Ids{"msg-000001", "msg-000002", "msg-000003"});
    consumers.stop();
}

TEST_CASE("consumers: a cold start delays the first invocation and the first after idle",
          "[sim-consumers]") {
    SimulatedConsumers::Options o = one_consumer();
    o.cold_start = LatencyRange{seconds(5), seconds(5)};
    o.idle_before_cold = minutes(10);
    World w(o);
    Calls calls;
    const Ids none;
    auto& consumers = w.start([&](Messages b, Instant d) {
        return listing_handler(w.rt, calls, none, seconds(1), std::move(b), d);
    });
    w.send(1);
    w.at(minutes(1));
    w.send(1);
    w.at(minutes(20));
    w.send(1);
    w.at(minutes(21));
    REQUIRE(calls.at.size() == 3);
    CHECK(calls.at[0] == w.t0 + seconds(5));
    CHECK(calls.deadlines[0] == w.t0 + seconds(35));  // init does not eat the function timeout
    CHECK(calls.at[1] == w.t0 + minutes(1));
    CHECK(calls.at[2] == w.t0 + minutes(20) + seconds(5));
    CHECK(consumers.counters().cold_starts == 2);
    CHECK(consumers.invocations()[0].cold);
    CHECK_FALSE(consumers.invocations()[1].cold);
    consumers.stop();
}

TEST_CASE("consumers: an invocation that crashes deletes nothing", "[sim-consumers]") {
    SimulatedConsumers::Options o = one_consumer();
    o.crash_rate = Ratio::always();
    World w(o);
    w.send(3);
    Calls calls;
    const Ids none;
    auto& consumers = w.start([&](Messages b, Instant d) {
        return listing_handler(w.rt, calls, none, seconds(10), std::move(b), d);
    });
    w.at(minutes(5));
    consumers.stop();
    w.at(minutes(6));  // the invocation in progress ends
    CHECK(consumers.running_invocations() == 0);
    REQUIRE(consumers.counters().invocations >= 5);
    CHECK(consumers.counters().crashes == consumers.counters().invocations);
    CHECK(consumers.counters().batches_failed_whole == consumers.counters().invocations);
    CHECK(consumers.counters().messages_deleted == 0);
    CHECK(w.sqs.ack_log().empty());
    for (const auto& invocation : consumers.invocations()) {
        CHECK(invocation.outcome == SimulatedConsumers::Outcome::crashed);
        CHECK(invocation.finished - invocation.started <= seconds(10));
    }
    CHECK(w.sqs.record("msg-000001")->receives == consumers.counters().invocations);
}

TEST_CASE("consumers: without ReportBatchItemFailures the returned list is ignored",
          "[sim-consumers]") {
    SimulatedConsumers::Options o = one_consumer();
    o.report_batch_item_failures = false;
    World w(o);
    w.send(2);
    Calls calls;
    const Ids failures{"msg-000001", "msg-999999"};
    auto& consumers = w.start([&](Messages b, Instant d) {
        return verbatim_handler(w.rt, calls, failures, std::move(b), d);
    });
    w.at(seconds(5));
    REQUIRE(consumers.invocations().size() == 1);
    CHECK(consumers.invocations()[0].outcome == SimulatedConsumers::Outcome::succeeded);
    CHECK(w.sqs.size() == 0);
    consumers.stop();
}

TEST_CASE("consumers: a failed receive backs off and polling resumes", "[sim-consumers]") {
    SimulatedSqs::Options q = queue_options();
    q.outages = {FaultWindow{kSimulationEpoch, kSimulationEpoch + seconds(10)}};
    SimulatedConsumers::Options o = one_consumer();
    o.receive_error_backoff = seconds(1);
    World w(o, q);
    Calls calls;
    const Ids none;
    auto& consumers = w.start([&](Messages b, Instant d) {
        return listing_handler(w.rt, calls, none, seconds(1), std::move(b), d);
    });
    w.at(seconds(10));
    CHECK(consumers.counters().receive_errors == 10);
    w.send(1);
    w.at(seconds(12));
    REQUIRE(calls.at.size() == 1);
    CHECK(calls.at[0] == w.t0 + seconds(10));
    consumers.stop();
}

namespace {
Task<BatchResult> random_handler(Runtime& r, Messages batch, Instant) {
    co_await r.sleep(r.random().between(seconds(1), seconds(40)));
    BatchResult result;
    for (const auto& m : batch) {
        if (r.random().chance(Ratio{1, 4}))
            result.item_failures.push_back(m.id);
    }
    if (r.random().chance(Ratio{1, 20}))
        result.item_failures.push_back("msg-999999");
    co_return result;
}

Task<void> produce(Runtime& r, SimulatedSqs& sqs, int n) {
    for (int i = 0; i < n; ++i) {
        co_await r.sleep(r.random().between(milliseconds(100), seconds(10)));
        const Status sent = co_await sqs.send("job", Duration{0});
        (void)sent;
    }
}

void consumer_run(std::uint64_t seed, TraceRecorder& trace) {
    SimulatedRuntime rt(seed, &trace);
    SimulatedSqs::Options q;
    q.visibility_timeout = seconds(60);
    q.max_receive_count = 5;
    q.duplicate_after_delete = Ratio{1, 10};
    q.throttling = Ratio{1, 20};
    SimulatedSqs sqs(rt, q);
    SimulatedConsumers::Options o;
    o.consumers = 3;
    o.batch_size = 4;
    o.batching_window = seconds(2);
    o.crash_rate = Ratio{1, 10};
    o.cold_start = LatencyRange{milliseconds(200), seconds(2)};
    SimulatedConsumers consumers(
        rt, sqs, [&rt](Messages b, Instant d) { return random_handler(rt, std::move(b), d); }, o);
    consumers.start();
    rt.spawn(produce(rt, sqs, 60));
    rt.run_until(rt.now() + minutes(15));
    consumers.stop();
    rt.run_until(rt.now() + minutes(2));
}
}  // namespace

TEST_CASE("consumers: the same seed gives the same trace", "[sim-consumers]") {
    const auto report = check_determinism([](TraceRecorder& t) { consumer_run(8, t); });
    INFO(report.describe());
    CHECK(report.deterministic);
    CHECK(report.first_events > 300);
    TraceRecorder other;
    consumer_run(9, other);
    CHECK(other.hash() != report.first_hash);
}

}  // namespace simulated_consumers_test
