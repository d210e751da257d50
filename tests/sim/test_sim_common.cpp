// The small shared pieces of the simulated backends.
#include <catch2/catch.hpp>

#include "sim/backends/sim_common.hpp"

using namespace scaleup;
using namespace scaleup::sim;

TEST_CASE("fault windows are half-open intervals of simulated time", "[sim-common]") {
    const Instant t0 = instant_from_unix_seconds(1000);
    const FaultWindow w{t0, t0 + seconds(10)};
    CHECK_FALSE(w.contains(t0 - nanoseconds(1)));
    CHECK(w.contains(t0));
    CHECK(w.contains(t0 + seconds(10) - nanoseconds(1)));
    CHECK_FALSE(w.contains(t0 + seconds(10)));
    CHECK(any_active({w, FaultWindow{t0 + minutes(1), t0 + minutes(2)}}, t0 + seconds(90)));
    CHECK_FALSE(any_active({}, t0));
}

TEST_CASE("latency draws stay within their range", "[sim-common]") {
    Random random(3);
    const LatencyRange range{milliseconds(10), milliseconds(20)};
    for (int i = 0; i < 1000; ++i) {
        const auto d = range.draw(random);
        REQUIRE(d >= milliseconds(10));
        REQUIRE(d <= milliseconds(20));
    }
}
