// Standard worlds shared by tests and benchmarks, so that "a simulated day" means one thing.
#pragma once

#include <cstdint>

#include "sim/world/world.hpp"

namespace scaleup::sim {

/// A steady 24-hour day plus a 1-hour drain: five organizations, `jobs_per_day` jobs arriving
/// evenly, jobs of 1-15 minutes, 400 runners at most, five consumers, and light faults (1 % GitHub
/// 5xx, 1 % SQS duplicates after delete, 1 % instances that never boot).
WorldOptions steady_day(std::int64_t jobs_per_day, std::uint64_t seed = 2026);

}  // namespace scaleup::sim
