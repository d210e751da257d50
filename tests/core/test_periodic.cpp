// run_periodically: passes start on fixed ticks, whatever each pass took.
#include <catch2/catch.hpp>

#include "core/common/periodic.hpp"
#include "sim/runtime/simulated_runtime.hpp"

using namespace scaleup;

namespace {
Task<void> slow_pass(Runtime& rt, std::vector<Instant>& starts, Duration takes) {
    starts.push_back(rt.now());
    co_await rt.sleep(takes);
}
}  // namespace

TEST_CASE("periodic: a slow pass does not stretch the period", "[periodic]") {
    sim::SimulatedRuntime rt(1);
    MetricsRegistry metrics;
    CancellationSource stop;
    std::vector<Instant> starts;
    const Instant begin = rt.now();
    rt.spawn(run_periodically(rt, stop.token(), seconds(60), metrics, "runs", "test",
                              [&](Instant) { return slow_pass(rt, starts, seconds(50)); }));
    rt.run_until(begin + seconds(250));
    stop.cancel(rt);
    rt.run();
    REQUIRE(starts.size() == 5);
    for (std::size_t i = 0; i < starts.size(); ++i)
        CHECK(starts[i] - begin == seconds(60) * static_cast<int>(i));
}

TEST_CASE("periodic: a hurried loop starts its next pass at the first check that wants it",
          "[periodic]") {
    sim::SimulatedRuntime rt(1);
    MetricsRegistry metrics;
    CancellationSource stop;
    std::vector<Instant> starts;
    std::vector<Instant> asked;  // the pass start each check was asked about
    const Instant begin = rt.now();
    // Wanted from 100 s to 130 s (a burst of deferrals), checked every 15 s after a pass starts.
    Hurry hurry{seconds(15), [&](Instant last_pass) {
                    asked.push_back(last_pass);
                    const Duration at = rt.now() - begin;
                    return at >= seconds(100) && at <= seconds(130);
                }};
    rt.spawn(run_periodically(
        rt, stop.token(), seconds(60), metrics, "runs", "test",
        [&](Instant) { return slow_pass(rt, starts, seconds(5)); }, std::move(hurry)));
    rt.run_until(begin + seconds(290));
    stop.cancel(rt);
    rt.run();
    // Passes at 0 and 60; checks at 75, 90, 105: hurried to 105; checks at 120 (hurried), then
    // 135, 150, 165 (not wanted): the interval again, 60 s after 120.
    std::vector<Duration> offsets;
    for (const Instant s : starts)
        offsets.push_back(s - begin);
    CHECK(offsets == std::vector<Duration>{seconds(0), seconds(60), seconds(105), seconds(120),
                                           seconds(180), seconds(240)});
    REQUIRE_FALSE(asked.empty());
    CHECK(asked.front() == begin);  // each check is asked about the pass it follows
}

TEST_CASE("periodic: a pass longer than the hurry step is followed at once when wanted",
          "[periodic]") {
    sim::SimulatedRuntime rt(1);
    MetricsRegistry metrics;
    CancellationSource stop;
    std::vector<Instant> starts;
    const Instant begin = rt.now();
    rt.spawn(run_periodically(
        rt, stop.token(), seconds(60), metrics, "runs", "test",
        [&](Instant) { return slow_pass(rt, starts, seconds(20)); },
        Hurry{seconds(15), [](Instant) { return true; }}));
    rt.run_until(begin + seconds(50));
    stop.cancel(rt);
    rt.run();
    // 20 s passes, each check already due when the pass ends: back to back.
    REQUIRE(starts.size() == 3);
    CHECK(starts[1] - begin == seconds(20));
    CHECK(starts[2] - begin == seconds(40));
}
