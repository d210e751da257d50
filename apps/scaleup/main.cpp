// The `scaleup` command.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdint>
#include <fstream>
#include <iostream>

#include "apps/scaleup/explore_command.hpp"
#include "apps/scaleup/merge_command.hpp"
#include "apps/scaleup/run_command.hpp"
#include "apps/scaleup/shrink_command.hpp"
#include "sim/runtime/determinism_check.hpp"
#include "sim/runtime/simulated_runtime.hpp"

namespace {

using namespace scaleup;

// A runtime demonstration, not the scale-up simulation: workers sleeping random durations on the
// simulated clock. It shows the seed, the trace hash and the determinism self-check until the
// scenario runner exists.
Task<void> demo_worker(Runtime& rt, int id, int wakeups) {
    for (int i = 0; i < wakeups; ++i) {
        co_await rt.sleep(rt.random().exponential(seconds(30)));
        rt.trace("demo-worker", "woke", fmt::format("id={} wakeup={}", id, i));
    }
}

void run_demo(std::uint64_t seed, int workers, int wakeups, sim::TraceRecorder& trace) {
    sim::SimulatedRuntime rt(seed, &trace);
    for (int id = 0; id < workers; ++id)
        rt.spawn(demo_worker(rt, id, wakeups));
    rt.run();
}

int demo(std::uint64_t seed, int workers, int wakeups, const std::string& trace_file) {
    fmt::print("runtime demo (not yet the scale-up scenarios): seed={} workers={} wakeups={}\n",
               seed, workers, wakeups);
    std::ofstream out;
    sim::TraceRecorder::Options options;
    if (!trace_file.empty()) {
        out.open(trace_file);
        if (!out) {
            fmt::print(stderr, "error: cannot write trace file {}\n", trace_file);
            return 2;
        }
        options.sink = &out;
    }
    sim::TraceRecorder trace(options);
    run_demo(seed, workers, wakeups, trace);
    fmt::print("events={} trace_hash={}\n", trace.events(), sim::format_hash(trace.hash()));
    const auto report =
        sim::check_determinism([&](sim::TraceRecorder& t) { run_demo(seed, workers, wakeups, t); });
    fmt::print("determinism self-check: {}\n", report.describe());
    return report.deterministic ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "scaleup: the scale-up control plane for ephemeral GitHub Actions runners, and its "
        "deterministic simulation harness"};
    app.require_subcommand(1);

    auto* demo_cmd = app.add_subcommand("demo", "Run the simulated-runtime demonstration");
    std::uint64_t seed = 1;
    int workers = 100;
    int wakeups = 100;
    std::string trace_file;
    demo_cmd->add_option("--seed", seed, "Simulation seed");
    demo_cmd->add_option("--workers", workers, "Concurrent simulated workers")
        ->check(CLI::Range(1, 1'000'000));
    demo_cmd->add_option("--wakeups", wakeups, "Wake-ups per worker")
        ->check(CLI::Range(1, 1'000'000));
    demo_cmd->add_option("--trace", trace_file, "Write the canonical trace to this file");

    auto* run_cmd = app.add_subcommand(
        "run", "Run scenario files (or every *.json in directories) and check every invariant");
    app::RunCommandOptions run_options;
    std::uint64_t run_seed = 0;
    run_cmd->add_option("paths", run_options.paths, "Scenario files or directories")->required();
    auto* seed_option = run_cmd->add_option("--seed", run_seed, "Override every scenario's seed");
    run_cmd->add_flag("--json", run_options.json, "Print one JSON document instead of the table");
    run_cmd->add_option("--junit", run_options.junit_file, "Write JUnit XML to this file");
    run_cmd->add_option("--trace", run_options.trace_file,
                        "Write the canonical trace to this file");

    auto* explore_cmd = app.add_subcommand(
        "explore", "Run many seeds, each with a random fault mix (swarm testing), and check them");
    app::ExploreCommandOptions explore_options;
    explore_cmd->add_option("scenario", explore_options.scenario,
                            "The base scenario (default scenarios/standard-hour-1000-jobs.json)");
    explore_cmd->add_option("--seeds", explore_options.seeds, "Seeds in the whole sweep (N)")
        ->required()
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}));
    explore_cmd->add_option("--seed-from", explore_options.seed_from,
                            "A 40-hex commit hash or an integer the seeds derive from");
    explore_cmd->add_option("--jobs", explore_options.jobs, "Worker threads (default: every core)");
    explore_cmd->add_option("--shard", explore_options.shard, "Run shard K of M (0-based), K/M");
    explore_cmd->add_option("--out", explore_options.out_dir,
                            "Write failing seeds' scenarios and the shard result here");
    explore_cmd->add_flag("--json", explore_options.json, "Print the result document");
    explore_cmd->add_flag("--require-coverage", explore_options.require_coverage,
                          "Fail if a coverage probe was never hit");
    explore_cmd
        ->add_option("--recheck-percent", explore_options.recheck_percent,
                     "Share of seeds run twice more to check determinism (default 5)")
        ->check(CLI::Range(0, 100));

    auto* merge_cmd = app.add_subcommand("merge", "Add up the shard results of one explore sweep");
    app::MergeCommandOptions merge_options;
    merge_cmd->add_option("files", merge_options.files, "Shard result files")->required();
    merge_cmd->add_flag("--json", merge_options.json, "Print the merged result document");
    merge_cmd->add_flag("--require-coverage", merge_options.require_coverage,
                        "Fail if a coverage probe was never hit");

    auto* shrink_cmd = app.add_subcommand(
        "shrink", "Shrink a failing scenario to a minimal one that fails the same checker");
    app::ShrinkCommandOptions shrink_options;
    shrink_options.program = argv[0];
    shrink_cmd->add_option("scenario", shrink_options.path, "The failing scenario file")
        ->required();
    shrink_cmd->add_option("--out", shrink_options.out_file,
                           "Write the minimal scenario here (default ./<name>-shrunk.json)");
    shrink_cmd->add_flag("--json", shrink_options.json, "Print one JSON document");
    shrink_cmd->add_option("--max-runs", shrink_options.max_runs, "Scenario runs at most (300)")
        ->check(CLI::Range(1, 1'000'000));

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (demo_cmd->parsed())
        return demo(seed, workers, wakeups, trace_file);
    if (explore_cmd->parsed())
        return app::explore_command(explore_options);
    if (merge_cmd->parsed())
        return app::merge_command(merge_options);
    if (shrink_cmd->parsed())
        return app::shrink_command(shrink_options);
    if (run_cmd->parsed()) {
        if (seed_option->count() > 0)
            run_options.seed = run_seed;
        return app::run_command(run_options);
    }
    return 2;
}
