// Seeds per core-hour: how many seeds of the standard one-hour, 1,000-job scenario
// (scenarios/standard-hour-1000-jobs.json) one core runs, checkers included, as `scaleup explore`
// runs them.
//
// - BM_ExploreSeed: each seed with its swarm fault mix (sim/explore/fault_mix.hpp), no
//   determinism re-check: the sweep's steady cost per seed.
// - BM_StandardSeed: the scenario as written (no faults), a new seed each time: the floor.
//
// "seeds/s" is per CPU second of one thread; seeds per core-hour are that rate times 3,600.
// Run: build/bin/bench_explore
#include <benchmark/benchmark.h>

#include "sim/explore/explorer.hpp"
#include "sim/scenario/scenario_runner.hpp"

namespace {

using namespace scaleup::sim;

const Scenario& standard_scenario() {
    static const Scenario scenario = load_scenario_file(std::string(SCALEUP_SOURCE_DIR) +
                                                        "/scenarios/standard-hour-1000-jobs.json");
    return scenario;
}

void report_rate(benchmark::State& state, std::uint64_t seeds, std::uint64_t failures) {
    state.counters["seeds/s"] =
        benchmark::Counter(static_cast<double>(seeds), benchmark::Counter::kIsRate);
    state.counters["failures"] = static_cast<double>(failures);
}

void BM_ExploreSeed(benchmark::State& state) {
    const Scenario& base = standard_scenario();
    SeedPlan plan;
    plan.seed_from = "20261122";
    plan.seeds = 1'000'000;
    ExploreSettings settings;
    settings.recheck_percent = 0;
    std::uint64_t index = 0;
    std::uint64_t failures = 0;
    for (auto _ : state) {
        const SeedOutcome outcome = run_seed(base, plan, index++, settings);
        failures += outcome.passed ? 0 : 1;
        benchmark::DoNotOptimize(outcome.trace_hash);
    }
    report_rate(state, index, failures);
}

void BM_StandardSeed(benchmark::State& state) {
    const Scenario& base = standard_scenario();
    std::uint64_t seed = 1;
    std::uint64_t failures = 0;
    for (auto _ : state) {
        RunSettings settings;
        settings.seed = seed++;
        const RunReport report = run_scenario(base, settings);
        failures += report.passed ? 0 : 1;
        benchmark::DoNotOptimize(report.trace_hash);
    }
    report_rate(state, seed - 1, failures);
}

}  // namespace

BENCHMARK(BM_ExploreSeed)->Unit(benchmark::kMillisecond)->Iterations(20);
BENCHMARK(BM_StandardSeed)->Unit(benchmark::kMillisecond)->Iterations(20);
BENCHMARK_MAIN();
