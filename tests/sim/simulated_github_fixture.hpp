// Shared pieces of the SimulatedGitHub tests: a runtime with one organization installation, valid
// App JWT claims, a recording webhook intake, and a way to run one call to its answer.
#pragma once

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/intake/webhook_delivery.hpp"
#include "sim/backends/simulated_github.hpp"
#include "sim/runtime/simulated_runtime.hpp"

namespace scaleup::sim::testing {

/// Fixed 100 ms latency (50 ms each way) and no faults, so tests can assert exact times.
inline SimulatedGitHubOptions exact_options() {
    SimulatedGitHubOptions options;
    options.latency = {milliseconds(100), milliseconds(100)};
    options.webhook_latency = {milliseconds(500), milliseconds(500)};
    return options;
}

template <typename T>
Task<void> store_result(Task<T> task, std::optional<T>& out) {
    out.emplace(co_await std::move(task));
}

/// What a recording intake saw, and how it answers.
struct IntakeLog {
    std::vector<WebhookDelivery> received;
    int status = 200;
    Duration delay{};
};

inline Task<WebhookResponse> record_delivery(Runtime& rt, IntakeLog& log,
                                             WebhookDelivery delivery) {
    co_await rt.sleep(log.delay);
    log.received.push_back(std::move(delivery));
    co_return WebhookResponse{log.status, "recorded"};
}

struct GitHubFixture {
    explicit GitHubFixture(SimulatedGitHubOptions options = exact_options(),
                           std::uint64_t seed = 11, TraceRecorder* trace = nullptr)
        : rt(seed, trace), github(rt, std::move(options)) {
        org = github.add_installation("acme");
    }

    SimulatedRuntime rt;
    SimulatedGitHub github;
    std::int64_t org = 0;
    IntakeLog intake;

    /// Claims as the core makes them: iat 60 s back, exp 540 s ahead, a unique jti.
    AppJwtClaims claims(std::string jti = "") {
        const std::int64_t now = unix_seconds(rt.now());
        if (jti.empty())
            jti = "jti-" + std::to_string(++jti_counter);
        return AppJwtClaims{"1", now - 60, now + 540, std::move(jti)};
    }

    /// Runs the simulation until `task` has its answer (other events stay queued).
    template <typename T>
    T run(Task<T> task) {
        std::optional<T> out;
        rt.spawn(store_result(std::move(task), out));
        while (!out && rt.step()) {
        }
        REQUIRE(out.has_value());
        return std::move(*out);
    }

    std::string mint(std::int64_t installation_id) {
        Result<InstallationToken> token =
            run(github.create_installation_token(installation_id, claims()));
        REQUIRE(token.ok());
        return token.value().token;
    }

    void record_webhooks() {
        github.set_intake([this](WebhookDelivery delivery) {
            return record_delivery(rt, intake, std::move(delivery));
        });
    }

    int jti_counter = 0;
};

}  // namespace scaleup::sim::testing
