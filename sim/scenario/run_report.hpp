// RunReport: what one scenario run found, and the three ways `scaleup run` shows it: a table for
// people, one JSON document for tools, and JUnit XML for CI systems.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/runtime/probes.hpp"
#include "core/runtime/time.hpp"

namespace scaleup::sim {

struct CheckerResult {
    std::string checker;  // "no_job_lost", "liveness", ...
    bool passed = true;
    std::string summary;                // one line
    std::vector<std::string> findings;  // job ids, instance ids, trace lines that show it
};

struct RunReport {
    std::string scenario;
    std::string file;
    std::uint64_t seed = 0;
    bool passed = true;
    std::int64_t jobs_queued = 0;
    std::int64_t jobs_ran = 0;
    std::int64_t jobs_cancelled = 0;
    std::int64_t jobs_lost = 0;
    std::int64_t jobs_dead_lettered = 0;
    std::int64_t instances_launched = 0;
    std::int64_t instances_orphaned = 0;
    std::int64_t max_runners_seen = 0;
    Duration sim_time{};
    std::int64_t wall_time_ms = 0;  // measured by the caller, outside the simulation
    std::uint64_t events = 0;
    std::uint64_t trace_hash = 0;  // 0 for a run without a trace (RunSettings::trace)
    std::vector<CheckerResult> checkers;
    std::vector<std::string> options;                     // every seed-derived option, "key=value"
    std::array<std::uint64_t, kProbeCount> probe_hits{};  // by Probe: how often each path ran
};

/// A fixed-width table with one row per run and a header.
std::string format_table(const std::vector<RunReport>& runs);
/// The failing checkers' findings, for the terminal, after the table.
std::string format_failures(const std::vector<RunReport>& runs);
/// One JSON document: {"runs": [...], "passed": bool}.
std::string format_json(const std::vector<RunReport>& runs);
/// JUnit XML: one testsuite, one testcase per run, a <failure> per failing checker.
std::string format_junit(const std::vector<RunReport>& runs);

}  // namespace scaleup::sim
