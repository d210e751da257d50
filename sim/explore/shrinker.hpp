// The shrinker behind `scaleup shrink`: delta debugging over a failing scenario DOCUMENT while the
// same checker keeps failing, ending with a minimal scenario an SRE can read and commit.
//
// The target is the first checker the original run fails. A candidate is a copy of the current
// document with one reduction applied; it is kept only when that checker still fails (failing
// another way, or throwing, rejects it). Every candidate is reloaded with load_scenario(), so the
// result is always a valid scenario that `scaleup run` replays; the seed is never changed.
//
// The reductions, repeated until a whole round keeps nothing (or the run budget is spent):
// - ddmin over the fault timeline ("faults"), the bursts, the owners (only those no remaining
//   fault names), each owner's repos and the label sets;
// - per fault, each numeric knob toward its smallest valid value: windows shorter
//   (duration_seconds) and earlier (start_seconds, at_seconds), percents and rates lower;
// - the workload: fewer jobs per hour, smaller bursts, a lower cancel share;
// - a shorter fault phase (duration_seconds) that still holds every fault window and burst;
// - the control plane's switches (boolean config keys), each dropped to its default.
// A numeric knob tries its floor first, then halfway, then a quarter of the way, and repeats
// from wherever it was kept.
//
// Runs are deterministic (the simulation is), so each candidate's verdict is cached by its text:
// the same input always shrinks to the same output in the same number of runs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/scenario/run_report.hpp"
#include "sim/scenario/scenario.hpp"

namespace scaleup::sim {

/// Runs one scenario. The default is run_scenario() with the document's own seed; tests pass one
/// that plants a bug in the world.
using ScenarioRunFunction = std::function<RunReport(const Scenario&)>;

/// How big a scenario is along the axes the shrinker reduces (-1: the key is absent, so the
/// loader's default applies).
struct ScenarioSize {
    std::int64_t faults = 0;
    std::int64_t jobs_per_hour = -1;
    std::int64_t bursts = 0;
    std::int64_t owners = -1;
    std::int64_t duration_seconds = 0;
    std::int64_t jobs_queued = 0;  // jobs that arrived in the run that judged the document
};

/// One kept reduction, e.g. "faults: 6 -> 1 (dropped github_outage, ...)".
struct ShrinkStep {
    std::string description;
    int runs = 0;  // scenario runs so far, the original's included
};

struct ShrinkOptions {
    int max_runs = 300;       // scenario runs in all, the original's included
    ScenarioRunFunction run;  // empty: run_scenario
    /// Called once the original has run and failed: the target checker and its summary line.
    std::function<void(const std::string& checker, const std::string& summary)> on_target;
    std::function<void(const ShrinkStep&)> on_step;  // each kept reduction, as it happens
    /// Every candidate document, and whether load_scenario() accepted it.
    std::function<void(const nlohmann::json& candidate, bool loaded)> on_candidate;
};

enum class ShrinkOutcome {
    shrunk,        // `minimal` fails `checker` (it may equal the input if nothing could go)
    input_passes,  // every checker held on the input: nothing to shrink
};

struct ShrinkResult {
    ShrinkOutcome outcome = ShrinkOutcome::input_passes;
    std::string checker;     // the target: the first checker the input fails
    std::string summary;     // the minimal document's failure of that checker
    nlohmann::json minimal;  // with a description naming the input, seed and checker
    std::vector<ShrinkStep> steps;
    ScenarioSize before;
    ScenarioSize after;
    int runs = 0;                   // scenario runs, the original's included
    int candidates_rejected = 0;    // load_scenario() refused them: skipped without a run
    int candidates_threw = 0;       // the run threw: treated as not failing the same way
    bool budget_exhausted = false;  // stopped at max_runs; `minimal` is the smallest so far
};

/// Shrinks `document` (named `file` in errors and in the description). Throws ScenarioError
/// when the input itself does not load, and whatever the original run throws.
ShrinkResult shrink_scenario(const nlohmann::json& document, const std::string& file,
                             const ShrinkOptions& options = {});

/// The size of a document (jobs_queued is left 0: it comes from a run).
ScenarioSize measure_scenario(const nlohmann::json& document);

}  // namespace scaleup::sim
