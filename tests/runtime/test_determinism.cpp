// The trace and the determinism self-check: same seed, same bytes; injected non-determinism caught
// and located.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <sstream>

#include "sim/runtime/determinism_check.hpp"
#include "sim/runtime/simulated_runtime.hpp"

using namespace scaleup;
using sim::SimulatedRuntime;
using sim::TraceRecorder;

namespace {
// Workers that sleep random durations and trace each wake-up. `leak`, when given, is read into the
// trace at wake-up 50 of worker 3: a stand-in for reading state from outside the simulation.
Task<void> worker(Runtime& rt, int id, int wakeups, const int* leak) {
    for (int i = 0; i < wakeups; ++i) {
        co_await rt.sleep(rt.random().between(milliseconds(1), seconds(2)));
        const int extra = (leak != nullptr && id == 3 && i == 50) ? *leak : 0;
        rt.trace("worker", "woke", fmt::format("id={} i={} extra={}", id, i, extra));
    }
}

void run_workers(std::uint64_t seed, TraceRecorder& trace, const int* leak) {
    SimulatedRuntime rt(seed, &trace);
    for (int id = 0; id < 8; ++id)
        rt.spawn(worker(rt, id, 100, leak));
    rt.run();
}
}  // namespace

TEST_CASE("the same seed gives byte-identical traces and another seed a different one") {
    std::ostringstream first_bytes, second_bytes;
    TraceRecorder::Options o1, o2;
    o1.sink = &first_bytes;
    o2.sink = &second_bytes;
    TraceRecorder first(o1), second(o2), other;
    run_workers(11, first, nullptr);
    run_workers(11, second, nullptr);
    run_workers(12, other, nullptr);
    CHECK(first.events() == 800);
    CHECK(first_bytes.str() == second_bytes.str());
    CHECK(first.hash() == second.hash());
    CHECK(first.hash() != other.hash());
}

TEST_CASE("trace lines are canonical: exact time, component, event, fields") {
    TraceRecorder::Options options;
    options.keep_lines = true;
    TraceRecorder trace(options);
    trace.record(sim::kSimulationEpoch + milliseconds(1500), "queue", "receive", "n=3");
    trace.record(Instant{Duration{5}}, "core", "tick", "");
    REQUIRE(trace.lines().size() == 2);
    CHECK(trace.lines()[0] == "1767225601.500000000s queue receive n=3");
    CHECK(trace.lines()[1] == "0.000000005s core tick");
}

TEST_CASE("the determinism check passes a deterministic simulation") {
    const auto report =
        sim::check_determinism([](TraceRecorder& t) { run_workers(5, t, nullptr); });
    CHECK(report.deterministic);
    CHECK(report.first_events == 800);
    CHECK_FALSE(report.divergent_index.has_value());
}

TEST_CASE(
    "the determinism check catches injected non-determinism and names the first divergent event") {
    // A counter outside the simulation: each run sees a different value, as a run reading the wall
    // clock or a heap address would.
    int outside_state = 0;
    const auto report = sim::check_determinism([&](TraceRecorder& t) {
        ++outside_state;
        run_workers(5, t, &outside_state);
    });
    REQUIRE_FALSE(report.deterministic);
    REQUIRE(report.divergent_index.has_value());
    // Find where worker 3's 51st wake-up sits in a clean run: that is where the runs must part.
    TraceRecorder::Options options;
    options.keep_lines = true;
    TraceRecorder clean(options);
    run_workers(5, clean, nullptr);
    const auto& lines = clean.lines();
    std::uint64_t expected = 0;
    while (expected < lines.size() && lines[expected].find("id=3 i=50 ") == std::string::npos) {
        ++expected;
    }
    CHECK(*report.divergent_index == expected);
    CHECK(report.first_line.find("id=3 i=50 extra=") != std::string::npos);
    CHECK(report.first_line != report.second_line);
    CHECK(report.describe().find("NOT deterministic") != std::string::npos);
}

TEST_CASE("a hash-only recorder ends with the hash of one that keeps its lines") {
    sim::TraceRecorder lines(sim::TraceRecorder::Options{true, false, nullptr, std::nullopt});
    sim::TraceRecorder hash_only;
    const Instant t0 = instant_from_unix_seconds(1767225600);
    const auto record = [&](Instant at, const char* component, const char* event,
                            const char* fields) {
        lines.record(at, component, event, fields);
        hash_only.record(at, component, event, fields);
    };
    record(t0, "sqs", "send", "id=msg-1 bytes=220");
    record(t0, "world", "end", "");  // no fields: no trailing space
    record(t0 + milliseconds(1), "ec2", "launch", "instance=i-1");
    record(t0 + milliseconds(1), "ec2", "launch", "instance=i-2");
    record(t0 + seconds(90), "consumer", "stop", "");
    CHECK(hash_only.events() == lines.events());
    CHECK(hash_only.hash() == lines.hash());
    CHECK(hash_only.lines().empty());
    REQUIRE(lines.lines().size() == 5);
    CHECK(lines.lines()[1] == "1767225600.000000000s world end");
}

namespace {
Task<void> formatted_worker(Runtime& rt, int id) {
    for (int i = 0; i < 50; ++i) {
        co_await rt.sleep(rt.random().between(milliseconds(1), seconds(2)));
        rt.tracef("worker", "woke", FMT_COMPILE("id={} i={} owner={} even={}"), id, i,
                  std::string(i % 2 == 0 ? "acme" : "globex"), i % 2 == 0);
    }
}

TraceRecorder run_formatted_workers(std::uint64_t seed, TraceRecorder::Options options) {
    TraceRecorder trace(options);
    SimulatedRuntime rt(seed, &trace);
    for (int id = 0; id < 4; ++id)
        rt.spawn(formatted_worker(rt, id));
    rt.run();
    return trace;
}
}  // namespace

TEST_CASE("tracef folds the same digest whether its lines are formatted or not") {
    TraceRecorder::Options with_lines;
    with_lines.keep_lines = true;
    const TraceRecorder lines = run_formatted_workers(3, with_lines);
    const TraceRecorder hash_only = run_formatted_workers(3, {});
    REQUIRE(lines.events() == 200);
    CHECK(hash_only.events() == lines.events());
    CHECK(hash_only.hash() == lines.hash());
    CHECK(hash_only.lines().empty());
    CHECK(lines.lines().front().find(" worker woke id=") != std::string::npos);
    CHECK(lines.lines().front().find(" owner=acme even=true") != std::string::npos);
    CHECK(run_formatted_workers(4, {}).hash() != hash_only.hash());
}

TEST_CASE("a recorder capturing one event gets exactly that line and the same hash") {
    TraceRecorder::Options with_lines;
    with_lines.keep_lines = true;
    const TraceRecorder lines = run_formatted_workers(3, with_lines);
    TraceRecorder::Options capture;
    capture.capture_index = 17;
    const TraceRecorder captured = run_formatted_workers(3, capture);
    REQUIRE(captured.captured_line().has_value());
    CHECK(*captured.captured_line() == lines.lines()[17]);
    CHECK(captured.hash() == lines.hash());
}
