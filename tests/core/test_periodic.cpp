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
