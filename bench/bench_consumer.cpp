// The batch handler's own cost per message: 1,000 messages across 10 owners, in batches of 10, with
// every port answering at once (zero latency), so only the core's work is measured. Beside it, in
// the same binary, the cost of parsing the same 1,000 message bodies alone: the handler's cost is
// reported as a multiple of that. Run: build/bin/bench_consumer
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include "tests/core/consumer_harness.hpp"

namespace {

using namespace scaleup;
using namespace scaleup::testing;

constexpr int kMessages = 1'000;
constexpr int kOwners = 10;

std::vector<QueueMessage> make_messages() {
    std::vector<QueueMessage> messages;
    for (int i = 0; i < kMessages; ++i) {
        messages.push_back(
            job_message(fmt::format("m{}", i), i + 1, fmt::format("org{}", i % kOwners)));
    }
    return messages;
}

void zero_latency(ConsumerHarness& h) {
    h.queue.latency = h.fleet.latency = h.config_store.latency = h.ledger.latency = Duration{0};
    h.github.latency = Duration{0};
}

void BM_ParseMessagesOnly(benchmark::State& state) {
    const auto messages = make_messages();
    for (auto _ : state) {
        std::int64_t sum = 0;
        for (const auto& m : messages)
            sum += JobMessage::parse(m.body).job_id;
        benchmark::DoNotOptimize(sum);
    }
    state.counters["messages/s"] = benchmark::Counter(
        static_cast<double>(kMessages) * state.iterations(), benchmark::Counter::kIsRate);
}

void BM_HandleBatches(benchmark::State& state) {
    const auto messages = make_messages();
    std::int64_t launched = 0;
    for (auto _ : state) {
        ScaleUpConfig config;
        config.max_runners = kMessages;
        ConsumerHarness h(config);
        zero_latency(h);
        for (int b = 0; b < kMessages / 10; ++b) {
            std::vector<QueueMessage> batch(messages.begin() + b * 10,
                                            messages.begin() + (b + 1) * 10);
            const auto result = h.run(std::move(batch));
            if (!result.item_failures.empty())
                state.SkipWithError("a message was not handled");
        }
        launched += static_cast<std::int64_t>(h.fleet.launched.size());
    }
    if (launched != static_cast<std::int64_t>(kMessages) * state.iterations()) {
        state.SkipWithError("not every message got a runner");
    }
    state.counters["messages/s"] = benchmark::Counter(
        static_cast<double>(kMessages) * state.iterations(), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_ParseMessagesOnly)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HandleBatches)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
