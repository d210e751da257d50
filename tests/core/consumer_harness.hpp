// ConsumerHarness: a BatchHandler wired to the in-test fakes on a simulated runtime.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/consumer/batch_handler.hpp"
#include "sim/runtime/simulated_runtime.hpp"
#include "tests/core/fakes.hpp"

namespace scaleup::testing {

struct ConsumerHarness {
    explicit ConsumerHarness(ScaleUpConfig c = {}, std::uint64_t seed = 7)
        : rt(seed), config(std::move(c)) {}

    sim::SimulatedRuntime rt;
    ScaleUpConfig config;
    MetricsRegistry metrics;
    FakeQueue queue{rt};
    FakeFleet fleet{rt};
    FakeConfigStore config_store{rt};
    FakeLedger ledger{rt};
    FakeGitHub github{rt};
    InstallationTokenCache tokens{rt, github, config, metrics};
    GitHubClient github_client{rt, github, tokens, config, metrics};
    BatchHandler handler{rt,     config,        ConsumerPorts{queue, fleet, config_store, ledger},
                         tokens, github_client, metrics};

    /// Runs one batch to completion with the configured handler timeout.
    BatchResult run(std::vector<QueueMessage> batch) {
        BatchResult result;
        const Instant deadline = rt.now() + config.handler_timeout;
        rt.spawn(run_into(handler, std::move(batch), deadline, result));
        rt.run();
        return result;
    }

    static Task<void> run_into(BatchHandler& h, std::vector<QueueMessage> batch, Instant deadline,
                               BatchResult& out) {
        out = co_await h.handle(std::move(batch), deadline);
    }
};

inline QueueMessage job_message(std::string id, std::int64_t job_id, std::string owner = "acme",
                                std::vector<std::string> labels = {"self-hosted", "linux"},
                                int receive_count = 1) {
    JobMessage job;
    job.job_id = job_id;
    job.run_id = job_id * 10;
    job.owner = std::move(owner);
    job.repo = "app";
    job.labels = std::move(labels);
    job.installation_id = 42;
    return QueueMessage{id, "rh-" + id, job.to_json(), receive_count, {}};
}

inline const MessageReport& report_for(const BatchResult& r, const std::string& id) {
    for (const auto& report : r.reports) {
        if (report.message_id == id)
            return report;
    }
    throw std::logic_error("no report for " + id);
}

}  // namespace scaleup::testing
