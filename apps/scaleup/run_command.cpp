#include "apps/scaleup/run_command.hpp"

#include <chrono>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "apps/scaleup/text_file.hpp"
#include "sim/scenario/scenario_runner.hpp"

namespace scaleup::app {

int run_command(const RunCommandOptions& options) {
    std::vector<sim::Scenario> scenarios;
    try {
        for (const auto& path : sim::expand_scenario_paths(options.paths)) {
            scenarios.push_back(sim::load_scenario_file(path));
        }
    } catch (const sim::ScenarioError& e) {
        fmt::print(stderr, "error: {}\n", e.what());
        return 2;
    }
    if (scenarios.empty()) {
        fmt::print(stderr, "error: no scenario files found in the given paths\n");
        return 2;
    }
    std::ofstream trace;
    if (!options.trace_file.empty()) {
        trace.open(options.trace_file);
        if (!trace) {
            fmt::print(stderr, "error: cannot write trace file {}\n", options.trace_file);
            return 2;
        }
    }

    std::vector<sim::RunReport> reports;
    for (const auto& scenario : scenarios) {
        sim::RunSettings settings;
        settings.seed = options.seed;
        settings.trace_sink = trace.is_open() ? &trace : nullptr;
        settings.on_start = [&](const sim::Scenario& s, const std::vector<std::string>& derived) {
            if (trace.is_open() && scenarios.size() > 1)
                trace << "# scenario " << s.name << "\n";
            if (!options.json) {
                fmt::print("run {} ({}): {}\n", s.name, s.file, fmt::join(derived, " "));
                std::fflush(stdout);
            }
        };
        const auto wall_start = std::chrono::steady_clock::now();
        auto report = sim::run_scenario(scenario, settings);
        report.wall_time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - wall_start)
                                  .count();
        reports.push_back(std::move(report));
    }

    bool passed = true;
    for (const auto& r : reports)
        passed = passed && r.passed;
    if (options.json) {
        fmt::print("{}", sim::format_json(reports));
    } else {
        fmt::print("\n{}", sim::format_table(reports));
        const auto failures = sim::format_failures(reports);
        if (!failures.empty())
            fmt::print("\n{}", failures);
        fmt::print(
            "\n{} of {} scenarios passed\n",
            std::count_if(reports.begin(), reports.end(), [](const auto& r) { return r.passed; }),
            reports.size());
    }
    if (!options.junit_file.empty() &&
        !write_text_file(options.junit_file, sim::format_junit(reports))) {
        fmt::print(stderr, "error: cannot write JUnit file {}\n", options.junit_file);
        return 2;
    }
    return passed ? 0 : 1;
}

}  // namespace scaleup::app
