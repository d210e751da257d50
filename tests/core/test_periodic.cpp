// run_periodically: passes start on fixed ticks, whatever each pass took, or sooner when hurried.
#include <catch2/catch.hpp>

#include "core/common/periodic.hpp"
#include "sim/runtime/simulated_runtime.hpp"

using namespace scaleup;

namespace {
Task<void> slow_pass(Runtime& rt, std::vector<Instant>& starts, Duration takes) {
    starts.push_back(rt.now());
    co_await rt.sleep(takes);
}

/// A loop under test: passes that take `takes`, every 60 s, their starts recorded.
struct Loop {
    sim::SimulatedRuntime rt{1};
    MetricsRegistry metrics;
    CancellationSource stop;
    std::vector<Instant> starts;
    const Instant begin = rt.now();

    /// Runs the loop until `until` after its start; returns the passes' starts as offsets.
    std::vector<Duration> run(Duration takes, Duration until, Hurry hurry = {}) {
        rt.spawn(run_periodically(
            rt, stop.token(), seconds(60), metrics, "runs", "test",
            [this, takes](Instant) { return slow_pass(rt, starts, takes); }, std::move(hurry)));
        rt.run_until(begin + until);
        stop.cancel(rt);
        rt.run();
        std::vector<Duration> offsets;
        for (const Instant start : starts)
            offsets.push_back(start - begin);
        return offsets;
    }
};
}  // namespace

TEST_CASE("periodic: a slow pass does not stretch the period", "[periodic]") {
    Loop loop;
    CHECK(loop.run(seconds(50), seconds(250)) ==
          std::vector<Duration>{seconds(0), seconds(60), seconds(120), seconds(180), seconds(240)});
}

TEST_CASE("periodic: a hurried loop starts its next pass at the first check that wants it",
          "[periodic]") {
    Loop loop;
    std::vector<Instant> asked;  // the pass start each check was asked about
    // Wanted from 100 s to 130 s (a burst of deferrals), checked every 15 s after a pass starts.
    Hurry hurry{seconds(15), [&](Instant last_pass) {
                    asked.push_back(last_pass);
                    const Duration at = loop.rt.now() - loop.begin;
                    return at >= seconds(100) && at <= seconds(130);
                }};
    // Passes at 0 and 60; checks at 75, 90, 105: hurried to 105; checks at 120 (hurried), then
    // 135, 150, 165 (not wanted): the interval again, 60 s after 120.
    CHECK(loop.run(seconds(5), seconds(290), std::move(hurry)) ==
          std::vector<Duration>{seconds(0), seconds(60), seconds(105), seconds(120), seconds(180),
                                seconds(240)});
    REQUIRE_FALSE(asked.empty());
    CHECK(asked.front() == loop.begin);  // each check is asked about the pass it follows
}

TEST_CASE("periodic: a pass longer than the hurry step is followed at once when wanted",
          "[periodic]") {
    // 20 s passes, each check already due when the pass ends: back to back.
    Loop loop;
    CHECK(loop.run(seconds(20), seconds(50), Hurry{seconds(15), [](Instant) { return true; }}) ==
          std::vector<Duration>{seconds(0), seconds(20), seconds(40)});
}
