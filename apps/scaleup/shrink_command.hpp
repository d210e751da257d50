// `scaleup shrink <scenario> [--out FILE] [--json] [--max-runs N]`: shrinks a failing scenario to a
// minimal one that fails the same checker (sim/explore/shrinker.hpp), writes it, and prints the
// command that replays it.
#pragma once

#include <string>

namespace scaleup::app {

struct ShrinkCommandOptions {
    std::string path;
    /// Where the minimal scenario goes. Empty: `<input name without .json>-shrunk.json` in the
    /// current directory (never next to the input: a failing file in scenarios/ would fail the
    /// library's run until someone moves it).
    std::string out_file;
    bool json = false;
    int max_runs = 300;
    std::string program = "scaleup";  // argv[0], for the replay command
};

/// Exit code: 0 a minimal failing scenario was written, 2 bad input or the input does not fail.
int shrink_command(const ShrinkCommandOptions& options);

/// The default output file for `input`: "dir/foo.json" -> "foo-shrunk.json".
std::string default_shrink_output(const std::string& input);

}  // namespace scaleup::app
