#include "core/intake/webhook_intake.hpp"

#include <exception>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "core/common/retry.hpp"

namespace scaleup {

namespace {

// GitHub's GUIDs are 36-character UUIDs; anything much longer is not one, and is not a key the
// ledger should store.
constexpr std::size_t kMaxGuidBytes = 128;

/// The header's value, a view into `delivery`; empty when it has none.
std::string_view header(const WebhookDelivery& delivery, std::string_view name) {
    return delivery.headers.get(name).value_or(std::string_view{});
}

/// After the queue took a message: mark its outbox entry sent and note the enqueue, in the
/// background so the 2xx does not wait on the ledger (which may be the thing that is down). If
/// this is lost, the relay sends the entry again: at least once, and the consumer is idempotent.
/// Each mark races the ledger against `limit` in this frame (with_timeout is a frame per mark).
Task<void> note_sent(Runtime& rt, LedgerPort& ledger, Duration limit, Identifier guid,
                     std::int64_t job_id, Instant at) {
    if (!guid.empty()) {
        Task<Status> marking = ledger.mark_outbox_sent(guid);
        const bool answered = co_await race(rt, marking, rt.now() + limit);
        bool marked = false;
        if (answered) {
            const Status status = co_await std::move(marking);  // done: does not suspend
            marked = status.ok();
        }
        if (!marked && rt.tracing())
            rt.tracef("intake", "mark_sent_failed", FMT_COMPILE("guid={} job={}"), guid, job_id);
    }
    Task<Status> noting = ledger.note_enqueued(job_id, at);
    const bool answered = co_await race(rt, noting, rt.now() + limit);
    bool noted = false;
    if (answered) {
        const Status status = co_await std::move(noting);
        noted = status.ok();
    }
    if (!noted && rt.tracing())
        rt.tracef("intake", "note_enqueued_failed", FMT_COMPILE("job={}"), job_id);
}

}  // namespace

std::string_view to_string(IntakeOutcome outcome) {
    switch (outcome) {
        case IntakeOutcome::no_webhook_secret:
            return "no_webhook_secret";
        case IntakeOutcome::signature_missing:
            return "signature_missing";
        case IntakeOutcome::signature_invalid:
            return "signature_invalid";
        case IntakeOutcome::malformed_payload:
            return "malformed_payload";
        case IntakeOutcome::invalid_delivery_guid:
            return "invalid_delivery_guid";
        case IntakeOutcome::not_workflow_job:
            return "not_workflow_job";
        case IntakeOutcome::not_queued_action:
            return "not_queued_action";
        case IntakeOutcome::missing_installation:
            return "missing_installation";
        case IntakeOutcome::no_matching_pool:
            return "no_matching_pool";
        case IntakeOutcome::duplicate_delivery:
            return "duplicate_delivery";
        case IntakeOutcome::enqueued:
            return "enqueued";
        case IntakeOutcome::recorded:
            return "recorded";
        case IntakeOutcome::enqueued_direct:
            return "enqueued_direct";
        case IntakeOutcome::unavailable:
            return "unavailable";
        case IntakeOutcome::unexpected_error:
            return "unexpected_error";
    }
    return "unexpected_error";
}

int http_status(IntakeOutcome outcome) {
    switch (outcome) {
        case IntakeOutcome::no_webhook_secret:
        case IntakeOutcome::signature_missing:
        case IntakeOutcome::signature_invalid:
            return 401;
        case IntakeOutcome::malformed_payload:
        case IntakeOutcome::invalid_delivery_guid:
            return 400;
        case IntakeOutcome::unavailable:
            return 503;
        case IntakeOutcome::unexpected_error:
            return 500;
        default:
            return 200;
    }
}

WebhookIntake::WebhookIntake(Runtime& rt, const ScaleUpConfig& config, LedgerPort& ledger,
                             QueuePort& queue, MetricsRegistry& metrics)
    : rt_(rt),
      config_(config),
      ledger_(ledger),
      queue_(queue),
      deliveries_(metrics, "scaleup_intake_deliveries_total", "outcome", kAllIntakeOutcomes),
      key_(config.webhook_secret),
      pool_labels_(normalise_labels(config.runner_labels)) {}

Task<WebhookResponse> WebhookIntake::handle(WebhookDelivery delivery) {
    const Instant deadline = rt_.now() + config_.intake_budget;
    // Overwritten on every path below; no detail text until then (an allocation a delivery).
    Decision decision{IntakeOutcome::unexpected_error, {}};
    try {
        decision = co_await decide(delivery, deadline);
    } catch (const std::exception& e) {
        decision = Decision{IntakeOutcome::unexpected_error, e.what()};
    } catch (...) {
        decision = Decision{IntakeOutcome::unexpected_error, "unknown exception"};
    }
    co_return finish(delivery, decision);
}

std::optional<WebhookIntake::Decision> WebhookIntake::check_signature(
    const WebhookDelivery& delivery) const {
    if (config_.webhook_secret.empty())
        return Decision{IntakeOutcome::no_webhook_secret, "no webhook secret configured"};
    const auto signature = delivery.headers.get("x-hub-signature-256");
    if (!signature)
        return Decision{IntakeOutcome::signature_missing, "no X-Hub-Signature-256 header"};
    if (!verify_github_signature(key_, delivery.body, *signature)) {
        return Decision{IntakeOutcome::signature_invalid,
                        "X-Hub-Signature-256 does not match the body"};
    }
    return std::nullopt;
}

Task<WebhookIntake::Decision> WebhookIntake::decide(const WebhookDelivery& delivery,
                                                    Instant deadline) {
    if (auto rejected = check_signature(delivery))
        co_return std::move(*rejected);
    const std::string_view event = header(delivery, "x-github-event");
    if (event != "workflow_job")
        co_return Decision{IntakeOutcome::not_workflow_job,
                           fmt::format(FMT_COMPILE("event={}"), event)};
    PayloadVerdict verdict = read_workflow_job(delivery.body, pool_labels_);
    if (verdict.outcome)
        co_return Decision{*verdict.outcome, std::move(verdict.detail), verdict.job.job_id};
    const std::string_view guid = header(delivery, "x-github-delivery");
    if (guid.empty() || guid.size() > kMaxGuidBytes) {
        co_return Decision{IntakeOutcome::invalid_delivery_guid,
                           fmt::format(FMT_COMPILE("X-GitHub-Delivery of {} bytes"), guid.size()),
                           verdict.job.job_id};
    }
    verdict.job.delivery_guid = guid;
    co_return co_await make_durable(std::move(verdict.job), deadline);
}

Task<WebhookIntake::Decision> WebhookIntake::make_durable(JobMessage job, Instant deadline) {
    const std::int64_t job_id = job.job_id;
    const Identifier guid = job.delivery_guid;
    const std::string body = job.to_json();
    const Instant received_at = rt_.now();
    // Half the budget for the ledger, so the direct send still fits if the ledger never answers.
    const Instant ledger_deadline = received_at + (deadline - received_at) / 2;
    const RetryRules rules{config_.aws_retry, config_.call_timeout,
                           config_.secondary_rate_limit_default};
    auto recorded = co_await with_retries<bool>(rt_, rules, ledger_deadline, [&] {
        return ledger_.record_delivery(guid, job_id, body, received_at);
    });
    if (!recorded.ok())
        co_return co_await send_direct(body, job_id, recorded.error().describe(), deadline);
    if (!recorded.value())
        co_return Decision{IntakeOutcome::duplicate_delivery, "guid already recorded", job_id};

    // Fast path: one try, since the message is durable already and the relay retries for us.
    RetryRules one_try = rules;
    one_try.budget.attempts = 1;
    auto sent = co_await with_retries<Done>(rt_, one_try, deadline,
                                            [&] { return queue_.send(body, Duration{0}); });
    if (!sent.ok()) {
        co_return Decision{IntakeOutcome::recorded, "queue: " + sent.error().describe(), job_id};
    }
    rt_.spawn(note_sent(rt_, ledger_, config_.call_timeout, guid, job_id, rt_.now()));
    co_return Decision{IntakeOutcome::enqueued, "", job_id};
}

Task<WebhookIntake::Decision> WebhookIntake::send_direct(std::string body, std::int64_t job_id,
                                                         std::string ledger_error,
                                                         Instant deadline) {
    const RetryRules rules{config_.aws_retry, config_.call_timeout,
                           config_.secondary_rate_limit_default};
    auto sent = co_await with_retries<Done>(rt_, rules, deadline,
                                            [&] { return queue_.send(body, Duration{0}); });
    if (!sent.ok()) {
        co_return Decision{IntakeOutcome::unavailable,
                           fmt::format(FMT_COMPILE("ledger: {}; queue: {}"), ledger_error,
                                       sent.error().describe()),
                           job_id};
    }
    rt_.spawn(note_sent(rt_, ledger_, config_.call_timeout, "", job_id, rt_.now()));
    co_return Decision{IntakeOutcome::enqueued_direct, "ledger: " + ledger_error, job_id};
}

WebhookResponse WebhookIntake::finish(const WebhookDelivery& delivery, const Decision& decision) {
    const std::string_view outcome = to_string(decision.outcome);
    deliveries_.increment(decision.outcome);
    const int status = http_status(decision.outcome);
    if (decision.outcome == IntakeOutcome::duplicate_delivery)
        SCALEUP_PROBE(rt_, intake_duplicate_delivery);
    else if (decision.outcome == IntakeOutcome::enqueued_direct)
        SCALEUP_PROBE(rt_, intake_enqueued_direct);
    else if (decision.outcome == IntakeOutcome::unavailable)
        SCALEUP_PROBE(rt_, intake_unavailable);
    if (rt_.tracing()) {
        rt_.tracef("intake", "delivery",
                   FMT_COMPILE("guid={} job={} status={} outcome={} detail=\"{}\""),
                   header(delivery, "x-github-delivery"), decision.job_id, status, outcome,
                   decision.detail);
    }
    return WebhookResponse{status, std::string(outcome)};
}

}  // namespace scaleup
