// Events per second of the simulated runtime, against a bare baseline in the same binary.
//
// Both sides run N coroutines that each sleep a pseudo-random duration, again and again, until a
// fixed number of wake-ups has happened. The baseline is the least a coroutine timer loop can do: a
// binary heap of (time, sequence, handle) and a minimal coroutine type, with no runtime interface,
// no Task frames, no spawn bookkeeping and no cancellation support. The runtime's cost is reported
// as the ratio of the two `events/s` counters. Run: build/bin/bench_runtime
#include <benchmark/benchmark.h>

#include <algorithm>
#include <coroutine>
#include <cstdint>
#include <vector>

#include "core/runtime/random.hpp"
#include "sim/runtime/simulated_runtime.hpp"

namespace {

using namespace scaleup;

constexpr std::int64_t kWakeupsPerRun = 1'000'000;

// ---- the baseline: a heap of timers resuming coroutines, nothing else
// ----------------------------
struct BareLoop {
    struct Timer {
        std::int64_t at;
        std::uint64_t seq;
        std::coroutine_handle<> handle;
    };
    static bool later(const Timer& a, const Timer& b) {
        return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
    std::vector<Timer> heap;
    std::int64_t now = 0;
    std::uint64_t seq = 0;
    std::int64_t wakeups_left = 0;
    Random random{1};

    struct Sleep {
        BareLoop& loop;
        std::int64_t delay;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h) {
            loop.heap.push_back({loop.now + delay, loop.seq++, h});
            std::push_heap(loop.heap.begin(), loop.heap.end(), later);
        }
        void await_resume() const noexcept {}
    };
};

struct BareTask {
    struct promise_type {
        BareTask get_return_object() {
            return {std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        std::suspend_always final_suspend() noexcept { return {}; }
        void return_void() noexcept {}
        void unhandled_exception() noexcept {}
    };
    std::coroutine_handle<promise_type> handle;
};

BareTask bare_sleeper(BareLoop& loop) {
    while (loop.wakeups_left > 0) {
        co_await BareLoop::Sleep{loop, static_cast<std::int64_t>(loop.random.below(1'000'000'000))};
        --loop.wakeups_left;
    }
}

void BM_BareHeapLoop(benchmark::State& state) {
    const auto tasks = static_cast<int>(state.range(0));
    std::int64_t events = 0;
    for (auto _ : state) {
        BareLoop loop;
        loop.wakeups_left = kWakeupsPerRun;
        std::vector<BareTask> sleepers;
        sleepers.reserve(tasks);
        for (int i = 0; i < tasks; ++i) {
            sleepers.push_back(bare_sleeper(loop));
            loop.heap.push_back({0, loop.seq++, sleepers.back().handle});
        }
        std::make_heap(loop.heap.begin(), loop.heap.end(), BareLoop::later);
        while (!loop.heap.empty()) {
            std::pop_heap(loop.heap.begin(), loop.heap.end(), BareLoop::later);
            const auto timer = loop.heap.back();
            loop.heap.pop_back();
            loop.now = timer.at;
            ++events;
            timer.handle.resume();
        }
        for (auto& s : sleepers)
            s.handle.destroy();
    }
    state.counters["events/s"] =
        benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

// ---- the simulated runtime: spawned Tasks sleeping through the Runtime interface ----------------
Task<void> runtime_sleeper(Runtime& rt, std::int64_t& wakeups_left) {
    while (wakeups_left > 0) {
        co_await rt.sleep(Duration{static_cast<std::int64_t>(rt.random().below(1'000'000'000))});
        --wakeups_left;
    }
}

void BM_SimulatedRuntime(benchmark::State& state) {
    const auto tasks = static_cast<int>(state.range(0));
    std::int64_t events = 0;
    for (auto _ : state) {
        sim::SimulatedRuntime rt(1);
        std::int64_t wakeups_left = kWakeupsPerRun;
        for (int i = 0; i < tasks; ++i)
            rt.spawn(runtime_sleeper(rt, wakeups_left));
        rt.run();
        events += static_cast<std::int64_t>(rt.events_processed());
    }
    state.counters["events/s"] =
        benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_BareHeapLoop)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SimulatedRuntime)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
