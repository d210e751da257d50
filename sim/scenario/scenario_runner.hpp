// Runs one scenario: builds its world from its seed, runs both phases, applies its checkers, and
// fills a RunReport. The caller measures wall time (apps may read the clock; sim/ may not).
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/scenario/run_report.hpp"
#include "sim/scenario/scenario.hpp"

namespace scaleup::sim {

struct RunSettings {
    std::optional<std::uint64_t> seed;   // overrides the scenario's
    std::ostream* trace_sink = nullptr;  // every trace line, as it happens
    /// Off, the world runs without a trace and the report's trace_hash is 0. Nothing a run does
    /// depends on its trace (tests/sim/test_untraced_run.cpp holds it to that); folding every
    /// event into the digest is 7 % of a run's instructions outside SHA-256, which exploration
    /// saves on the seeds whose hash it would throw away. Requires no trace_sink.
    bool trace = true;
    /// Called once the world exists, with every seed-derived option, before it runs.
    std::function<void(const Scenario&, const std::vector<std::string>&)> on_start;
};

RunReport run_scenario(const Scenario& scenario, const RunSettings& settings);

}  // namespace scaleup::sim
