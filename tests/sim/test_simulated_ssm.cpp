// SimulatedSsm: the 4 KB standard-tier limit, 40 TPS throttling shared by put and get, eventual
// visibility, outages and determinism.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/backends/simulated_ssm.hpp"
#include "sim/runtime/determinism_check.hpp"
#include "sim/runtime/simulated_runtime.hpp"

using namespace scaleup;
using namespace scaleup::sim;

// The file's own namespace: in a unity build (scripts/test) its helpers share a translation unit
// with other test files'.
namespace simulated_ssm_test {

namespace {

constexpr Instant t0 = kSimulationEpoch;

SimulatedSsm::Options fixed_options() {
    SimulatedSsm::Options o;
    o.latency = {milliseconds(10), milliseconds(10)};
    o.visibility_delay = {seconds(2), seconds(2)};
    return o;
}

Task<void> put(SimulatedSsm& ssm, std::string id, std::string value, std::vector<Status>& out) {
    out.push_back(co_await ssm.put_runner_config(std::move(id), std::move(value)));
}

Task<void> get(SimulatedSsm& ssm, std::string id,
               std::vector<Result<std::optional<std::string>>>& out) {
    out.push_back(co_await ssm.read_runner_config(std::move(id)));
}

int count_ok(const std::vector<Status>& results) {
    int n = 0;
    for (const auto& r : results)
        n += r.ok() ? 1 : 0;
    return n;
}

}  // namespace

TEST_CASE("SSM rejects a value over the 4 KB standard tier and stores nothing", "[sim-ssm]") {
    SimulatedRuntime rt(1);
    SimulatedSsm ssm(rt, fixed_options());
    std::vector<Status> results;
    rt.spawn(put(ssm, "i-1", std::string(4096, 'a'), results));
    rt.spawn(put(ssm, "i-2", std::string(4097, 'b'), results));
    rt.run_for(seconds(10));

    REQUIRE(results.size() == 2);
    CHECK(results[0].ok());
    REQUIRE_FALSE(results[1].ok());
    CHECK(results[1].error().kind == ErrorKind::invalid);
    CHECK(results[1].error().code == "ValidationException");
    CHECK(results[1].error().service == "ssm");
    CHECK(ssm.visible_value("i-1") == std::string(4096, 'a'));
    CHECK_FALSE(ssm.visible_value("i-2").has_value());
    const auto rejected = ssm.puts_for("i-2");
    REQUIRE(rejected.size() == 1);
    CHECK_FALSE(rejected[0].stored);
    CHECK(rejected[0].bytes == 4097);
    CHECK(rejected[0].at == t0 + milliseconds(10));
    CHECK(ssm.counters().validation_errors == 1);
}

TEST_CASE("SSM throttles above 40 TPS, shared by puts and gets, and refills 1 per 25 ms",
          "[sim-ssm]") {
    SimulatedRuntime rt(2);
    SimulatedSsm ssm(rt, fixed_options());
    std::vector<Status> puts;
    std::vector<Result<std::optional<std::string>>> gets;
    // 25 puts and 16 gets arrive in the same instant: 41 calls for 40 tokens.
    for (int i = 0; i < 25; ++i)
        rt.spawn(put(ssm, "i-" + std::to_string(i), "cfg", puts));
    for (int i = 0; i < 16; ++i)
        rt.spawn(get(ssm, "i-" + std::to_string(i), gets));
    rt.run_until(t0 + milliseconds(10));

    REQUIRE(puts.size() == 25);
    REQUIRE(gets.size() == 16);
    CHECK(count_ok(puts) == 25);
    REQUIRE_FALSE(gets.back().ok());  // the 41st call
    CHECK(gets.back().error().kind == ErrorKind::throttled);
    CHECK(gets.back().error().code == "ThrottlingException");
    CHECK(gets.back().error().message == "Rate exceeded");
    CHECK(ssm.counters().throttled == 1);

    // 24 ms later no token is back; at 25 ms one is, and only one.
    std::vector<Status> later;
    rt.run_until(t0 + milliseconds(24));
    rt.spawn(put(ssm, "late-1", "cfg", later));  // arrives at 34 ms: throttled
    rt.run_until(t0 + milliseconds(25));
    rt.spawn(put(ssm, "late-2", "cfg", later));  // arrives at 35 ms: one token
    rt.spawn(put(ssm, "late-3", "cfg", later));  // same instant: throttled
    rt.run_for(seconds(1));
    REQUIRE(later.size() == 3);
    CHECK_FALSE(later[0].ok());
    CHECK(later[1].ok());
    CHECK_FALSE(later[2].ok());
    CHECK(ssm.counters().throttled == 3);
}

TEST_CASE("SSM makes a put visible only after its replication delay", "[sim-ssm]") {
    SimulatedRuntime rt(3);
    SimulatedSsm ssm(rt, fixed_options());
    std::vector<Status> puts;
    std::vector<Result<std::optional<std::string>>> reads;
    rt.spawn(put(ssm, "i-1", "first", puts));  // stored at 10 ms, visible at 2.010 s
    rt.run_until(t0 + seconds(1));
    rt.spawn(get(ssm, "i-1", reads));  // answered at 1.010 s: ParameterNotFound
    rt.run_until(t0 + seconds(2));
    rt.spawn(get(ssm, "i-1", reads));           // answered at 2.010 s: visible
    rt.spawn(put(ssm, "i-1", "second", puts));  // stored at 2.010 s, visible at 4.010 s
    rt.run_until(t0 + seconds(3));
    rt.spawn(get(ssm, "i-1", reads));  // 3.010 s: still the first value
    rt.run_until(t0 + seconds(4));
    rt.spawn(get(ssm, "i-1", reads));  // 4.010 s: the second
    rt.run_for(seconds(1));

    CHECK(count_ok(puts) == 2);
    REQUIRE(reads.size() == 4);
    for (const auto& r : reads)
        REQUIRE(r.ok());
    CHECK_FALSE(reads[0].value().has_value());
    CHECK(reads[1].value() == std::optional<std::string>("first"));
    CHECK(reads[2].value() == std::optional<std::string>("first"));
    CHECK(reads[3].value() == std::optional<std::string>("second"));
    const auto history = ssm.puts_for("i-1");
    REQUIRE(history.size() == 2);
    CHECK(history[0].at == t0 + milliseconds(10));
    CHECK(history[1].at == t0 + milliseconds(2010));
}

TEST_CASE("SSM fails every call inside an outage window and at its error rate", "[sim-ssm]") {
    SimulatedRuntime rt(4);
    auto options = fixed_options();
    options.outages = {FaultWindow{t0, t0 + seconds(5)}};
    SimulatedSsm ssm(rt, options);
    std::vector<Status> puts;
    rt.spawn(put(ssm, "i-1", "cfg", puts));
    rt.run_until(t0 + seconds(5));
    rt.spawn(put(ssm, "i-1", "cfg", puts));  // arrives after the window
    rt.run_for(seconds(1));
    REQUIRE(puts.size() == 2);
    REQUIRE_FALSE(puts[0].ok());
    CHECK(puts[0].error().kind == ErrorKind::transient);
    CHECK(puts[0].error().code == "InternalServerError");
    CHECK(puts[1].ok());

    SimulatedRuntime rt2(4);
    auto failing = fixed_options();
    failing.error_rate = Ratio::always();
    SimulatedSsm broken(rt2, failing);
    std::vector<Result<std::optional<std::string>>> reads;
    rt2.spawn(get(broken, "i-1", reads));
    rt2.run();
    REQUIRE(reads.size() == 1);
    REQUIRE_FALSE(reads[0].ok());
    CHECK(reads[0].error().code == "InternalServerError");
    CHECK(broken.counters().internal_errors == 1);
}

namespace {
void ssm_workload(TraceRecorder& trace, std::uint64_t seed) {
    SimulatedRuntime rt(seed, &trace);
    SimulatedSsm::Options options;
    options.error_rate = Ratio::percent(10);
    SimulatedSsm ssm(rt, options);
    std::vector<Status> puts;
    std::vector<Result<std::optional<std::string>>> reads;
    for (int i = 0; i < 60; ++i) {
        rt.spawn(put(ssm, "i-" + std::to_string(i % 20), "cfg-" + std::to_string(i), puts));
        rt.spawn(get(ssm, "i-" + std::to_string(i % 20), reads));
    }
    rt.run_for(seconds(2));
    for (int i = 0; i < 20; ++i)
        rt.spawn(get(ssm, "i-" + std::to_string(i), reads));
    rt.run();
}
}  // namespace

TEST_CASE("SSM runs are deterministic: the same seed gives the same trace", "[sim-ssm]") {
    const auto report = check_determinism([](TraceRecorder& t) { ssm_workload(t, 42); });
    INFO(report.describe());
    CHECK(report.deterministic);
    CHECK(report.first_events > 100);
    TraceRecorder other;
    ssm_workload(other, 43);
    CHECK(other.hash() != report.first_hash);
}

}  // namespace simulated_ssm_test
