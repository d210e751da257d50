// Explorer: the pieces of `scaleup explore` that decide and judge, without threads or clocks.
//
// - SeedPlan: which seeds a sweep runs. Seed i of a sweep is a pure function of (seed-from, i), so
//   the set is the same for any number of worker threads and any split into shards. Shard K of M
//   (0-based) runs the indices i < N with i % M == K: shards 0..M-1 together run each index once.
// - run_seed: one seed, end to end. Build the seed's scenario document (fault_mix.hpp), load it as
//   any scenario file is loaded, run it, and judge it; a share of the seeds, chosen from the seed
//   itself, runs twice more to prove the run deterministic. An exception escaping the run is a
//   failure too, never a crash of the sweep.
// - ExploreResult: what a sweep (or one shard of it) found, as a versioned JSON document that
//   `scaleup merge` reads back strictly and adds up, refusing shards that overlap or belong to
//   different sweeps.
//
// The app (apps/scaleup/explore_command.cpp) owns threads, wall time and the terminal.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/runtime/probes.hpp"
#include "sim/explore/fault_mix.hpp"
#include "sim/scenario/scenario.hpp"

namespace scaleup::sim {

/// Bad input to a sweep: a malformed --seed-from or --shard, a result file that does not parse,
/// shards that cannot be merged.
class ExploreError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct SeedPlan {
    std::string seed_from = "0";    // a decimal integer or a 40-hex commit hash
    std::uint64_t seeds = 0;        // N: the sweep's indices are 0..N-1
    std::uint64_t shard = 0;        // K
    std::uint64_t shard_count = 1;  // M

    /// Throws ExploreError unless seed_from parses and K < M.
    void validate() const;
    /// This shard's indices, ascending.
    std::vector<std::uint64_t> indices() const;
    /// The simulation seed of index i (at most INT64_MAX, as scenario files allow).
    std::uint64_t seed_at(std::uint64_t index) const;
};

/// "K/M" into plan.shard and plan.shard_count; throws ExploreError.
void parse_shard(const std::string& text, SeedPlan& plan);
/// The 64-bit base of a --seed-from value: the integer, or a commit's first 16 hex digits.
std::uint64_t seed_base(const std::string& seed_from);

struct ExploreSettings {
    std::uint64_t recheck_percent = 5;  // share of seeds run twice more and compared
    /// Test seam: changes a seed's loaded scenario before it runs (the rechecks run it as changed).
    std::function<void(Scenario&)> adjust_scenario;
};

/// Whether the determinism spot-check runs this seed (a pure function of seed and percent).
bool rechecks(std::uint64_t seed, std::uint64_t recheck_percent);

struct SeedOutcome {
    std::uint64_t index = 0;
    std::uint64_t seed = 0;
    std::string name;         // the seed's scenario name
    std::string mix;          // FaultMix::summary()
    nlohmann::json document;  // the seed's scenario document, replayable
    bool passed = true;
    std::vector<std::string> failed_checkers;  // "liveness", "determinism", "exception", ...
    std::vector<std::string> summaries;        // one per failed checker
    bool rechecked = false;
    bool recheck_failed = false;
    std::array<std::uint64_t, kProbeCount> probe_hits{};
    std::uint64_t events = 0;
    std::uint64_t trace_hash = 0;
};

/// Runs seed `index` of `plan` on `base`. Never throws for a failing run.
SeedOutcome run_seed(const Scenario& base, const SeedPlan& plan, std::uint64_t index,
                     const ExploreSettings& settings);

/// Writes the outcome's document as DIR/<name>.json and returns the path. Throws ExploreError.
std::string write_seed_document(const std::string& directory, const SeedOutcome& outcome);

struct ExploreFailure {
    std::uint64_t index = 0;
    std::uint64_t seed = 0;
    std::string scenario;
    std::string mix;
    std::string file;  // the written scenario; empty without --out
    std::uint64_t trace_hash = 0;
    std::vector<std::string> checkers;
    std::vector<std::string> summaries;
};

struct ExploreResult {
    // The sweep: what decides its seed set. Shards of one sweep agree on all of it.
    std::string base;              // the base scenario's name
    std::string base_fingerprint;  // hash of the base document, "0x..."
    std::string seed_from;
    std::uint64_t seeds = 0;  // N
    std::uint64_t shard_count = 1;
    std::uint64_t recheck_percent = 5;
    std::vector<std::uint64_t> shards;  // the shards this result covers, ascending

    // What it found.
    std::uint64_t seeds_run = 0;
    std::vector<ExploreFailure> failures;                  // by index
    std::array<std::uint64_t, kProbeCount> probe_seeds{};  // seeds that hit each probe
    std::uint64_t determinism_checks = 0;
    std::uint64_t determinism_failures = 0;
    std::uint64_t events = 0;
    // Wall time (the slowest shard's, when merged) and the sum of every seed's run time.
    std::int64_t wall_ms = 0;
    std::int64_t busy_ms = 0;

    std::string source;  // where it was read from, for messages; not serialised
};

/// An empty result for one shard's plan.
ExploreResult start_result(const Scenario& base, const SeedPlan& plan,
                           const ExploreSettings& settings);
/// Adds one seed's outcome (`file`: where its document was written, if anywhere).
void record_seed(ExploreResult& result, const SeedOutcome& outcome, const std::string& file);
/// The indices the result's shards cover, ascending.
std::vector<std::uint64_t> covered_indices(const ExploreResult& result);
/// The probes no seed hit.
std::vector<Probe> never_hit_probes(const ExploreResult& result);

nlohmann::json to_json(const ExploreResult& result);
/// Strict: unknown keys, missing keys, a wrong version or inconsistent counts throw ExploreError
/// naming `source` and the JSON pointer.
ExploreResult result_from_json(const nlohmann::json& document, const std::string& source);
/// Adds shard results up. Throws ExploreError if they belong to different sweeps (base,
/// seed-from, seeds, shard count, recheck share) or two cover the same shard.
ExploreResult merge(const std::vector<ExploreResult>& results);

}  // namespace scaleup::sim
