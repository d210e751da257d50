// `scaleup explore [scenario] --seeds N [--seed-from COMMIT|N] [--jobs J] [--shard K/M]
//                 [--out DIR] [--json] [--require-coverage] [--recheck-percent P]`
//
// Swarm exploration (docs/explore.md): each seed of the plan gets a random fault mix on the base
// scenario, runs, and is judged by every checker. J worker threads each run their own worlds; the
// outcomes are reported in seed order, so the output is the same for any J (timings aside).
#pragma once

#include <cstdint>
#include <string>

#include "sim/explore/explorer.hpp"

namespace scaleup::app {

struct ExploreCommandOptions {
    std::string scenario = "scenarios/standard-hour-1000-jobs.json";
    std::uint64_t seeds = 0;
    std::string seed_from = "0";
    unsigned jobs = 0;  // 0: the machine's hardware concurrency
    std::string shard = "0/1";
    std::string out_dir;
    bool json = false;
    bool require_coverage = false;
    std::uint64_t recheck_percent = 5;
};

/// Exit code: 0 every seed passed (and, with --require-coverage, every probe was hit), 1 a
/// failure, 2 bad input.
int explore_command(const ExploreCommandOptions& options);

/// The summary `explore` and `merge` print: seeds, failures with their replay commands,
/// determinism checks, speed, and the probe coverage table with the never-hit probes.
std::string format_explore_summary(const sim::ExploreResult& result, unsigned jobs);

/// Exit code for a finished result: 1 on a failure or (when required) a never-hit probe.
int explore_exit_code(const sim::ExploreResult& result, bool require_coverage);

}  // namespace scaleup::app
