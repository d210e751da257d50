// The fault catalogue: each entry of a scenario's "faults" array, by kind, turned into the knobs of
// the simulated services (sim/backends/*.hpp state each one's fault model).
//
// Two shapes of fault. Windowed faults ("start_seconds", "duration_seconds") are active inside
// that window of the fault phase. Rate faults ("percent") are active for the whole fault phase;
// the world heals them when the drain begins.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/json_reader.hpp"
#include "sim/world/world.hpp"

namespace scaleup::sim {

/// The longest span, in seconds, any instant or duration of a scenario may name: a week.
inline constexpr std::int64_t kScenarioMaxSeconds = 7 * 86'400;

/// Applies one fault entry to `world`. Throws InputError (pointer under `reader`).
void apply_fault(const JsonReader& fault, WorldOptions& world);
std::vector<std::string> known_fault_kinds();

}  // namespace scaleup::sim
