// Small pieces every simulated backend uses: latency ranges and fault windows.
//
// A backend draws its latencies and fault decisions from its own `Random` stream (forked from the
// simulation's seed), so turning one backend's faults on does not shift another backend's draws.
#pragma once

#include <string>
#include <vector>

#include "core/runtime/random.hpp"
#include "core/runtime/time.hpp"

namespace scaleup::sim {

/// Uniform latency in [min, max].
struct LatencyRange {
    Duration min = milliseconds(5);
    Duration max = milliseconds(50);
    Duration draw(Random& random) const { return random.between(min, max); }
};

/// A half-open interval of simulated time [start, end) during which a fault is active.
struct FaultWindow {
    Instant start{};
    Instant end{};
    bool contains(Instant t) const { return t >= start && t < end; }
};

inline bool any_active(const std::vector<FaultWindow>& windows, Instant t) {
    for (const auto& w : windows) {
        if (w.contains(t))
            return true;
    }
    return false;
}

}  // namespace scaleup::sim
