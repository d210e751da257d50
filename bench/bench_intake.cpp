// Intake's cost per delivery, on a realistic payload: GitHub's real queued `workflow_job` example
// (octokit/webhooks-examples, example 5, pretty-printed: 7,878 bytes), or a synthetic payload of
// the same size when ../shared/testdata is absent. Four numbers, to be read as ratios of the first:
//   - BM_Sha256Baseline: one bare SHA-256 of the payload;
//   - BM_VerifySignature: the X-Hub-Signature-256 check (HMAC-SHA256 + hex + constant-time
//   compare);
//   - BM_ReadPayload: parsing the payload into a job message (JSON + the pool match);
//   - BM_IntakePerDelivery: WebhookIntake::handle end to end (signature, parse, ledger record,
//     queue send, background bookkeeping) with zero-latency fakes on the simulated runtime, so only
//     the core's own work (and the simulator's event loop) is measured.
// Run: build/bin/bench_intake (configure with -DSCALEUP_BENCH=ON).
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include "tests/core/intake_harness.hpp"

namespace {

using namespace scaleup;
using namespace scaleup::testing;

constexpr int kDeliveriesPerBatch = 1'000;
constexpr std::size_t kSyntheticBytes = 7'878;

ScaleUpConfig bench_config() {
    ScaleUpConfig c = intake_config();
    c.runner_labels.push_back("ubuntu-latest");  // so the real example is accepted
    return c;
}

std::string make_payload() {
    if (const auto examples = github_examples())
        return (*examples)[5].dump(2);
    // Same shape as a real delivery: the fields intake reads plus steps and URLs it ignores.
    auto payload = workflow_job_json(289'782'451, "queued", {"ubuntu-latest"});
    std::size_t step = 0;
    while (payload.dump(2).size() < kSyntheticBytes) {
        payload["workflow_job"]["steps"].push_back(
            {{"name", fmt::format("Run step {}", ++step)},
             {"status", "queued"},
             {"url", "https://api.github.com/repos/octo-org/example-workflow/actions/runs/1"}});
    }
    return payload.dump(2);
}

const std::string& payload() {
    static const std::string body = make_payload();
    return body;
}

void per_delivery(benchmark::State& state, int deliveries_per_iteration) {
    const auto n = static_cast<double>(deliveries_per_iteration) * state.iterations();
    state.counters["deliveries/s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
    state.counters["bytes"] = static_cast<double>(payload().size());
    state.SetBytesProcessed(static_cast<std::int64_t>(n) *
                            static_cast<std::int64_t>(payload().size()));
}

void BM_Sha256Baseline(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(sha256(payload()));
    per_delivery(state, 1);
}

void BM_VerifySignature(benchmark::State& state) {
    const HmacSha256 key(kWebhookSecret);
    const std::string header = github_signature(key, payload());
    for (auto _ : state) {
        if (!verify_github_signature(key, payload(), header))
            state.SkipWithError("signature did not verify");
    }
    per_delivery(state, 1);
}

void BM_ReadPayload(benchmark::State& state) {
    const auto pool = normalise_labels(bench_config().runner_labels);
    for (auto _ : state) {
        const PayloadVerdict verdict = read_workflow_job(payload(), pool);
        if (verdict.outcome)
            state.SkipWithError("the payload was not accepted");
        benchmark::DoNotOptimize(verdict.job.job_id);
    }
    per_delivery(state, 1);
}

void BM_IntakePerDelivery(benchmark::State& state) {
    const WebhookDelivery signed_once = signed_delivery(payload(), "");
    for (auto _ : state) {
        IntakeHarness h(bench_config());
        h.queue.latency = h.ledger.latency = Duration{0};
        for (int i = 0; i < kDeliveriesPerBatch; ++i) {
            WebhookDelivery d = signed_once;
            d.headers.set("x-github-delivery", fmt::format("guid-{}", i));
            if (h.deliver(std::move(d)).response.outcome != "enqueued")
                state.SkipWithError("a delivery was not enqueued");
        }
        h.rt.run();  // the background bookkeeping belongs to the deliveries' cost
        if (h.ledger.outbox_sent.size() != static_cast<std::size_t>(kDeliveriesPerBatch))
            state.SkipWithError("not every delivery was marked sent");
    }
    per_delivery(state, kDeliveriesPerBatch);
}

}  // namespace

BENCHMARK(BM_Sha256Baseline)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_VerifySignature)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ReadPayload)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_IntakePerDelivery)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
