// `scaleup merge <result files...> [--json] [--require-coverage]`
//
// Adds up the shard results of one sweep (`scaleup explore --shard K/M --out DIR` writes
// DIR/explore-shard-K-of-M.json) and prints the combined summary. Results of different sweeps, or
// two results covering one shard, are refused (exit 2).
#pragma once

#include <string>
#include <vector>

namespace scaleup::app {

struct MergeCommandOptions {
    std::vector<std::string> files;
    bool json = false;
    bool require_coverage = false;
};

/// Exit code: 0 no failure, 1 a failure (or a never-hit probe with --require-coverage), 2 bad
/// input.
int merge_command(const MergeCommandOptions& options);

}  // namespace scaleup::app
