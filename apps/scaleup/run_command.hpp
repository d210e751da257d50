// `scaleup run <file|dir>... [--seed N] [--json] [--junit FILE] [--trace FILE]`
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scaleup::app {

struct RunCommandOptions {
    std::vector<std::string> paths;
    std::optional<std::uint64_t> seed;
    bool json = false;
    std::string junit_file;
    std::string trace_file;
};

/// Exit code: 0 every checker held, 1 a checker failed, 2 bad input.
int run_command(const RunCommandOptions& options);

}  // namespace scaleup::app
