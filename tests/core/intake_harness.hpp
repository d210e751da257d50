// IntakeHarness: WebhookIntake and OutboxRelay wired to the in-test fakes on a simulated runtime,
// plus signed deliveries and GitHub-shaped payloads to feed them.
#pragma once

#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/intake/hmac_sha256.hpp"
#include "core/intake/outbox_relay.hpp"
#include "core/intake/webhook_intake.hpp"
#include "sim/runtime/simulated_runtime.hpp"
#include "tests/core/fakes.hpp"
#include "tests/test_paths.hpp"

namespace scaleup::testing {

/// GitHub's documented example secret ("Validating webhook deliveries").
inline const std::string kWebhookSecret = "It's a Secret to Everybody";

inline ScaleUpConfig intake_config() {
    ScaleUpConfig c;
    c.webhook_secret = kWebhookSecret;
    c.runner_labels = {"self-hosted", "linux", "x64", "k8s"};
    return c;
}

struct IntakeHarness {
    explicit IntakeHarness(ScaleUpConfig c = intake_config(), std::uint64_t seed = 7)
        : rt(seed), config(std::move(c)) {}

    sim::SimulatedRuntime rt;
    ScaleUpConfig config;
    MetricsRegistry metrics;
    FakeQueue queue{rt};
    FakeLedger ledger{rt};
    WebhookIntake intake{rt, config, ledger, queue, metrics};
    OutboxRelay relay{rt, config, ledger, queue, metrics};

    struct Answer {
        WebhookResponse response;
        Instant at{};
    };

    /// Delivers and runs the simulation only until intake answers: background work (the ledger
    /// bookkeeping, abandoned calls) is still pending; `rt.run()` finishes it.
    Answer deliver(WebhookDelivery delivery) {
        std::optional<Answer> answer;
        rt.spawn(deliver_into(rt, intake, std::move(delivery), answer));
        while (!answer && rt.step()) {
        }
        if (!answer)
            throw std::logic_error("intake never answered");
        return *answer;
    }

    std::uint64_t outcomes(const std::string& outcome) const {
        return metrics.value("scaleup_intake_deliveries_total", {{"outcome", outcome}});
    }

    static Task<void> deliver_into(Runtime& rt, WebhookIntake& intake, WebhookDelivery delivery,
                                   std::optional<Answer>& out) {
        WebhookResponse response = co_await intake.handle(std::move(delivery));
        out = Answer{response, rt.now()};
    }

    static Task<void> relay_into(OutboxRelay& relay, Instant deadline, int& out) {
        out = co_await relay.relay_once(deadline);
    }
    /// One relay pass to completion; returns how many entries it sent.
    int relay_once(Duration budget = seconds(30)) {
        int sent = -1;
        rt.spawn(relay_into(relay, rt.now() + budget, sent));
        rt.run();
        return sent;
    }
};

/// A delivery as GitHub sends it, signed with `secret` over the exact body bytes.
inline WebhookDelivery signed_delivery(std::string body, std::string guid,
                                       std::string event = "workflow_job",
                                       const std::string& secret = kWebhookSecret) {
    WebhookDelivery d;
    d.headers.set("x-github-event", event);
    d.headers.set("x-github-delivery", guid);
    d.headers.set("x-github-hook-id", "123456");
    d.headers.set("content-type", "application/json");
    d.headers.set("user-agent", "GitHub-Hookshot/abc1234");
    d.headers.set("x-hub-signature-256", github_signature(HmacSha256(secret), body));
    d.body = std::move(body);
    return d;
}

/// A compact `workflow_job` payload with the fields intake reads and a few it does not.
inline nlohmann::json workflow_job_json(std::int64_t job_id, std::string action = "queued",
                                        std::vector<std::string> labels = {"self-hosted", "linux"},
                                        std::string owner = "acme",
                                        std::string owner_type = "Organization") {
    return nlohmann::json{
        {"action", action},
        {"workflow_job",
         {{"id", job_id},
          {"run_id", job_id * 10},
          {"run_attempt", 1},
          {"status", action == "queued" ? "queued" : action},
          {"conclusion", nullptr},
          {"name", "build"},
          {"labels", labels},
          {"runner_id", nullptr},
          {"runner_name", nullptr}}},
        {"repository",
         {{"id", 1296269},
          {"name", "app"},
          {"full_name", owner + "/app"},
          {"owner", {{"login", owner}, {"id", 1}, {"type", owner_type}}}}},
        {"sender", {{"login", "octocat"}, {"id", 583231}, {"type", "User"}}},
        {"installation", {{"id", 42}, {"node_id", "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI="}}}};
}

inline WebhookDelivery queued_delivery(std::int64_t job_id, std::string guid,
                                       std::vector<std::string> labels = {"self-hosted", "linux"}) {
    return signed_delivery(workflow_job_json(job_id, "queued", std::move(labels)).dump(),
                           std::move(guid));
}

/// The real `workflow_job` examples (octokit/webhooks-examples), or nullopt if the file is absent.
inline std::optional<nlohmann::json> github_examples() {
    std::ifstream in(shared_testdata("github/workflow_job-examples.json"));
    if (!in)
        return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str());
}

}  // namespace scaleup::testing
