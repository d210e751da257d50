// A whole simulated day: 50,000 jobs over 24 hours from five organizations, with light faults
// (1 % GitHub 5xx, 1 % SQS duplicates, 1 % boot failures), through the production core and every
// simulated service. Reports wall time, events per second and time acceleration (simulated seconds
// per wall second). The trace is hashed as in every run. Run: build/bin/bench_world
#include <benchmark/benchmark.h>

#include "sim/runtime/trace_recorder.hpp"
#include "sim/world/presets.hpp"

namespace {

using namespace scaleup;
using namespace scaleup::sim;

// The same day untraced (no TraceRecorder: no trace line is formatted or hashed), to show what
// the determinism trace costs. A real run always traces.
void BM_SimulatedDayUntraced(benchmark::State& state) {
    std::uint64_t events = 0;
    for (auto _ : state) {
        World world(steady_day(state.range(0)), nullptr);
        world.run();
        events += world.runtime().events_processed();
    }
    state.counters["events/s"] =
        benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

void BM_SimulatedDay(benchmark::State& state) {
    std::uint64_t events = 0;
    std::int64_t jobs = 0;
    Duration simulated{};
    for (auto _ : state) {
        TraceRecorder trace;
        World world(steady_day(state.range(0)), &trace);
        world.run();
        events += world.runtime().events_processed();
        jobs += static_cast<std::int64_t>(world.github().jobs().size());
        simulated += world.ends_at() - world.started_at();
        benchmark::DoNotOptimize(trace.hash());
    }
    state.counters["events/s"] =
        benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
    state.counters["jobs"] =
        benchmark::Counter(static_cast<double>(jobs), benchmark::Counter::kAvgIterations);
    state.counters["sim_s/wall_s"] = benchmark::Counter(
        static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(simulated).count()),
        benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_SimulatedDay)->Arg(10'000)->Arg(50'000)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_SimulatedDayUntraced)->Arg(10'000)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_MAIN();
