#include "apps/scaleup/merge_command.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "apps/scaleup/explore_command.hpp"
#include "core/common/json_reader.hpp"
#include "sim/explore/explorer.hpp"

namespace scaleup::app {

namespace {
sim::ExploreResult read_result_file(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw sim::ExploreError(fmt::format("{}: cannot open the file", path));
    std::stringstream text;
    text << in.rdbuf();
    try {
        return sim::result_from_json(parse_json(text.str()), path);
    } catch (const InputError& e) {
        throw sim::ExploreError(fmt::format("{}: {}", path, e.what()));
    }
}
}  // namespace

int merge_command(const MergeCommandOptions& options) {
    sim::ExploreResult merged;
    try {
        std::vector<sim::ExploreResult> results;
        for (const auto& file : options.files)
            results.push_back(read_result_file(file));
        merged = sim::merge(results);
    } catch (const sim::ExploreError& e) {
        fmt::print(stderr, "error: {}\n", e.what());
        return 2;
    }
    if (options.json)
        fmt::print("{}\n", sim::to_json(merged).dump(2));
    else
        fmt::print("merged {} result file{}{}", options.files.size(),
                   options.files.size() == 1 ? "" : "s", format_explore_summary(merged, 0));
    return explore_exit_code(merged, options.require_coverage);
}

}  // namespace scaleup::app
