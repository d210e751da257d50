#include "apps/scaleup/shrink_command.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "apps/scaleup/text_file.hpp"
#include "sim/explore/scenario_document.hpp"
#include "sim/explore/shrinker.hpp"

namespace scaleup::app {

namespace {
std::string count(std::int64_t value) {
    return value < 0 ? "default" : std::to_string(value);
}

/// "faults 6 -> 1, jobs_per_hour 480 -> 30, ...": the sizes before and after.
std::string size_change(const sim::ScenarioSize& before, const sim::ScenarioSize& after) {
    return fmt::format(
        "faults {} -> {}, jobs_per_hour {} -> {}, bursts {} -> {}, owners {} -> {}, "
        "duration {}s -> {}s, jobs queued {} -> {}",
        before.faults, after.faults, count(before.jobs_per_hour), count(after.jobs_per_hour),
        before.bursts, after.bursts, count(before.owners), count(after.owners),
        before.duration_seconds, after.duration_seconds, before.jobs_queued, after.jobs_queued);
}

nlohmann::json size_json(const sim::ScenarioSize& size) {
    return {{"faults", size.faults},
            {"jobs_per_hour", size.jobs_per_hour},
            {"bursts", size.bursts},
            {"owners", size.owners},
            {"duration_seconds", size.duration_seconds},
            {"jobs_queued", size.jobs_queued}};
}

nlohmann::json result_json(const sim::ShrinkResult& result, const std::string& out,
                           const std::string& replay, std::int64_t wall_time_ms) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& step : result.steps)
        steps.push_back({{"step", step.description}, {"runs", step.runs}});
    return {{"shrunk", true},
            {"checker", result.checker},
            {"summary", result.summary},
            {"runs", result.runs},
            {"wall_time_ms", wall_time_ms},
            {"budget_exhausted", result.budget_exhausted},
            {"candidates_rejected", result.candidates_rejected},
            {"candidates_threw", result.candidates_threw},
            {"steps", steps},
            {"before", size_json(result.before)},
            {"after", size_json(result.after)},
            {"out", out},
            {"replay", replay}};
}

sim::ShrinkOptions progress_printer(const ShrinkCommandOptions& options) {
    sim::ShrinkOptions shrink;
    shrink.max_runs = options.max_runs;
    if (options.json)
        return shrink;
    shrink.on_target = [](const std::string& checker, const std::string& summary) {
        fmt::print("target: {} fails: {}\n", checker, summary);
        std::fflush(stdout);
    };
    shrink.on_step = [](const sim::ShrinkStep& step) {
        fmt::print("  [{:>4} runs] {}\n", step.runs, step.description);
        std::fflush(stdout);
    };
    return shrink;
}

int report_nothing_to_shrink(const ShrinkCommandOptions& options, std::uint64_t seed) {
    if (options.json) {
        fmt::print("{}\n", nlohmann::json{{"shrunk", false},
                                          {"file", options.path},
                                          {"reason", "every checker holds: nothing to shrink"}}
                               .dump(2));
    } else {
        fmt::print("nothing to shrink: every checker holds on {} (seed {})\n", options.path, seed);
    }
    return 2;
}

void report_shrunk(const ShrinkCommandOptions& options, const sim::ShrinkResult& result,
                   const std::string& out, std::int64_t wall_time_ms) {
    const std::string replay = fmt::format("{} run {}", options.program, out);
    if (options.json) {
        fmt::print("{}\n", result_json(result, out, replay, wall_time_ms).dump(2));
        return;
    }
    fmt::print("shrunk in {} runs ({:.1f} s){}: {}\n", result.runs,
               static_cast<double>(wall_time_ms) / 1000.0,
               result.budget_exhausted ? ", stopped at --max-runs" : "",
               size_change(result.before, result.after));
    fmt::print("{} fails: {}\n", result.checker, result.summary);
    fmt::print("wrote {}\nreplay: {}\n", out, replay);
}
}  // namespace

std::string default_shrink_output(const std::string& input) {
    return std::filesystem::path(input).stem().string() + "-shrunk.json";
}

int shrink_command(const ShrinkCommandOptions& options) {
    sim::Scenario input;
    try {
        input = sim::load_scenario_file(options.path);
    } catch (const sim::ScenarioError& e) {
        fmt::print(stderr, "error: {}\n", e.what());
        return 2;
    }
    const std::string out =
        options.out_file.empty() ? default_shrink_output(options.path) : options.out_file;
    if (!options.json) {
        fmt::print("shrink {} (seed {}): at most {} runs\n", options.path, input.seed,
                   options.max_runs);
        std::fflush(stdout);
    }
    const auto started = std::chrono::steady_clock::now();
    sim::ShrinkResult result;
    try {
        result = sim::shrink_scenario(input.source, options.path, progress_printer(options));
    } catch (const std::exception& e) {
        fmt::print(stderr, "error: the run of {} threw: {}\n", options.path, e.what());
        return 2;
    }
    const auto wall_time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count();
    if (result.outcome == sim::ShrinkOutcome::input_passes)
        return report_nothing_to_shrink(options, input.seed);
    if (!write_text_file(out, sim::format_scenario_document(result.minimal))) {
        fmt::print(stderr, "error: cannot write {}\n", out);
        return 2;
    }
    report_shrunk(options, result, out, wall_time_ms);
    return 0;
}

}  // namespace scaleup::app
