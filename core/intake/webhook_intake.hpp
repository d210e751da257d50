// WebhookIntake: the front door. A GitHub `workflow_job` delivery comes in; a queue message for a
// job that needs a runner goes out, or the delivery is answered with the reason it needs none.
//
// - Nothing unsigned gets in: `X-Hub-Signature-256` is checked (constant time) before the body is
//   even parsed; a missing or wrong signature is a 401 and nothing is recorded.
// - An accepted delivery is durable before the 2xx: recorded in the ledger's outbox (keyed by the
//   delivery GUID, so a redelivery is a no-op), then sent to the queue at once if the queue takes
//   it (else `OutboxRelay` sends it later). If the ledger is unreachable the message goes straight
//   to the queue. Only when neither takes it is the answer 503, so GitHub's delivery log shows a
//   failure the redelivery sweeper can act on (GitHub never redelivers on its own).
// - A dependency outage is never reported as "ignored" (the tuist incident): every delivery ends
//   with exactly one outcome from a closed set, counted in `scaleup_intake_deliveries_total`.
// - The answer comes within `intake_budget`, because GitHub closes the connection after 10 s.
//
// docs/intake.md is the contract.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/scale_up_config.hpp"
#include "core/consumer/job_message.hpp"
#include "core/intake/hmac_sha256.hpp"
#include "core/intake/webhook_delivery.hpp"
#include "core/metrics/metrics.hpp"
#include "core/ports/ledger.hpp"
#include "core/ports/queue.hpp"
#include "core/runtime/runtime.hpp"

namespace scaleup {

enum class IntakeOutcome {
    // 401: not from GitHub as far as we can tell; nothing recorded.
    no_webhook_secret,  // no secret configured, so nothing can be verified
    signature_missing,  // no X-Hub-Signature-256 header
    signature_invalid,  // the signature does not match the body
    // 400: signed, but not a delivery intake can use; nothing recorded.
    malformed_payload,      // not JSON, or a workflow_job field missing or of the wrong type
    invalid_delivery_guid,  // X-GitHub-Delivery missing or unusable as a key
    // 200, acknowledged: no runner needed from this delivery; nothing recorded.
    not_workflow_job,      // another event (ping, push, ...)
    not_queued_action,     // in_progress, completed, waiting: only `queued` asks for a runner
    missing_installation,  // no installation: not a GitHub App delivery
    no_matching_pool,      // the pool lacks a label the job asks for
    duplicate_delivery,    // the ledger already holds this delivery GUID (a redelivery)
    // 200, accepted: the job's message is durable.
    enqueued,         // recorded in the ledger and sent to the queue
    recorded,         // recorded in the ledger; the queue did not take it yet, the relay will
    enqueued_direct,  // the ledger was unreachable; sent straight to the queue
    // 503 / 500: nothing durable; GitHub records a failure and the sweeper redelivers.
    unavailable,       // neither the ledger nor the queue took it within the budget
    unexpected_error,  // a bug (an exception); never silently a success
};

inline constexpr std::array kAllIntakeOutcomes{
    IntakeOutcome::no_webhook_secret,
    IntakeOutcome::signature_missing,
    IntakeOutcome::signature_invalid,
    IntakeOutcome::malformed_payload,
    IntakeOutcome::invalid_delivery_guid,
    IntakeOutcome::not_workflow_job,
    IntakeOutcome::not_queued_action,
    IntakeOutcome::missing_installation,
    IntakeOutcome::no_matching_pool,
    IntakeOutcome::duplicate_delivery,
    IntakeOutcome::enqueued,
    IntakeOutcome::recorded,
    IntakeOutcome::enqueued_direct,
    IntakeOutcome::unavailable,
    IntakeOutcome::unexpected_error,
};

std::string_view to_string(IntakeOutcome outcome);
/// The HTTP status GitHub sees for this outcome.
int http_status(IntakeOutcome outcome);

/// What a signed workflow_job payload asks of intake: a job message to make durable, or the
/// outcome that ends the delivery here (with a detail for the trace).
struct PayloadVerdict {
    std::optional<IntakeOutcome> outcome;  // set: the delivery ends with it
    std::string detail;
    JobMessage job;  // when accepted
};

/// Reads a `workflow_job` payload. Lenient about actions it does not act on (their bodies are not
/// examined further); strict about a `queued` one, whose fields become the job message.
PayloadVerdict read_workflow_job(const std::string& body, const std::vector<std::string>& pool);

class WebhookIntake {
  public:
    WebhookIntake(Runtime& rt, const ScaleUpConfig& config, LedgerPort& ledger, QueuePort& queue,
                  MetricsRegistry& metrics);

    /// Answers one delivery within `intake_budget`. Never throws.
    Task<WebhookResponse> handle(WebhookDelivery delivery);

  private:
    struct Decision {
        IntakeOutcome outcome;
        std::string detail;
        std::int64_t job_id = 0;
    };
    Task<Decision> decide(const WebhookDelivery& delivery, Instant deadline);
    std::optional<Decision> check_signature(const WebhookDelivery& delivery) const;
    Task<Decision> make_durable(JobMessage job, Instant deadline);
    Task<Decision> send_direct(std::string body, std::int64_t job_id, std::string ledger_error,
                               Instant deadline);
    WebhookResponse finish(const WebhookDelivery& delivery, const Decision& decision);

    Runtime& rt_;
    const ScaleUpConfig& config_;
    LedgerPort& ledger_;
    QueuePort& queue_;
    EnumCounters<IntakeOutcome> deliveries_;  // scaleup_intake_deliveries_total by outcome
    HmacSha256 key_;                          // config.webhook_secret, padded once
    std::vector<std::string> pool_labels_;    // normalised config.runner_labels
};

}  // namespace scaleup
