#include "core/intake/webhook_intake.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/common/json_reader.hpp"
#include "core/common/json_scan.hpp"
#include "core/common/retry.hpp"

namespace scaleup {

namespace {

constexpr std::int64_t kMaxId = std::numeric_limits<std::int64_t>::max();
// GitHub's GUIDs are 36-character UUIDs; anything much longer is not one, and is not a key the
// ledger should store.
constexpr std::size_t kMaxGuidBytes = 128;

std::string header(const WebhookDelivery& delivery, const std::string& name) {
    const auto it = delivery.headers.find(name);
    return it == delivery.headers.end() ? std::string{} : it->second;
}

PayloadVerdict stop(PayloadVerdict verdict, IntakeOutcome outcome, std::string detail) {
    verdict.outcome = outcome;
    verdict.detail = std::move(detail);
    return verdict;
}

/// The fields of a queued job that become its message. Throws InputError naming the field.
void read_job_fields(const JsonReader& payload, JobMessage& job) {
    const JsonReader workflow_job = payload.object("workflow_job");
    const JsonReader repository = payload.object("repository");
    const JsonReader owner = repository.object("owner");
    job.job_id = workflow_job.integer("id", 1, kMaxId);
    job.run_id = workflow_job.integer("run_id", 0, kMaxId);
    job.labels = workflow_job.strings("labels");
    job.owner = owner.string("login");
    job.repo = repository.string("name");
    job.owner_type = owner.string("type");
    // The same rules JobMessage::parse applies: the consumer must never get a body it rejects.
    if (job.labels.empty())
        throw InputError("/workflow_job/labels", "a job has at least one label");
    if (job.owner.empty())
        throw InputError("/repository/owner/login", "must not be empty");
    if (job.repo.empty())
        throw InputError("/repository/name", "must not be empty");
    if (job.owner_type != "Organization" && job.owner_type != "User")
        throw InputError("/repository/owner/type", "expected \"Organization\" or \"User\"");
}

bool pool_serves(const std::vector<std::string>& pool, const std::vector<std::string>& labels) {
    // A runner takes a job when it has every label the job asks for (pool is normalised).
    const auto wanted = normalise_labels(labels);
    return std::includes(pool.begin(), pool.end(), wanted.begin(), wanted.end());
}

/// After the queue took a message: mark its outbox entry sent and note the enqueue, in the
/// background so the 2xx does not wait on the ledger (which may be the thing that is down). If
/// this is lost, the relay sends the entry again: at least once, and the consumer is idempotent.
Task<void> note_sent(Runtime& rt, LedgerPort& ledger, Duration limit, std::string guid,
                     std::int64_t job_id, Instant at) {
    if (!guid.empty()) {
        auto marked = co_await with_timeout(rt, limit, ledger.mark_outbox_sent(guid));
        if (!(marked && marked->ok()) && rt.tracing())
            rt.trace("intake", "mark_sent_failed", fmt::format("guid={} job={}", guid, job_id));
    }
    auto noted = co_await with_timeout(rt, limit, ledger.note_enqueued(job_id, at));
    if (!(noted && noted->ok()) && rt.tracing())
        rt.trace("intake", "note_enqueued_failed", fmt::format("job={}", job_id));
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

/// Whether the member `path[depth]` (depth 1 for a top-level member; `path` holds the keys on the
/// way down) is one that read_job_fields or the installation check reads.
bool read_by_intake(std::size_t depth, const std::array<std::string, 4>& path) {
    const std::string& key = path[depth];
    if (depth == 1)
        return key == "action" || key == "workflow_job" || key == "repository" ||
               key == "installation";
    if (depth == 2 && path[1] == "workflow_job")
        return key == "id" || key == "run_id" || key == "labels";
    if (depth == 2 && path[1] == "repository")
        return key == "name" || key == "owner";
    if (depth == 2 && path[1] == "installation")
        return key == "id";
    return depth == 3 && path[1] == "repository" && path[2] == "owner" &&
           (key == "login" || key == "type");
}

/// The queued payload with only the members intake reads: a real delivery is about 8 KB, mostly
/// repository and sender details, and building all of it was most of the intake's cost. The
/// whole text is still checked as JSON.
nlohmann::json parse_intake_fields(const std::string& body) {
    std::array<std::string, 4> path;  // path[d]: the key last seen at depth d
    return parse_json(
        body, [&path](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
            if (event != nlohmann::json::parse_event_t::key)
                return true;  // containers and values follow their member's fate
            const auto level = static_cast<std::size_t>(depth);
            if (level == 0 || level >= path.size())
                return false;  // deeper than anything intake reads
            path[level] = parsed.get_ref<const std::string&>();
            return read_by_intake(level, path);
        });
}

PayloadVerdict read_workflow_job(const std::string& body, const std::vector<std::string>& pool) {
    PayloadVerdict verdict;
    // Two deliveries in three are transitions intake does not act on: read their action (GitHub
    // sends it first) and nothing else, as documented above. A queued one, or anything the scan
    // cannot read, is parsed in full.
    if (const auto action = first_top_level_string(body, "action"); action && *action != "queued")
        return stop(std::move(verdict), IntakeOutcome::not_queued_action, "action=" + *action);
    try {
        const auto json = parse_intake_fields(body);
        const JsonReader payload(json, "");
        const std::string action = payload.string("action");
        if (action != "queued")
            return stop(std::move(verdict), IntakeOutcome::not_queued_action, "action=" + action);
        // A `queued` action may carry status "waiting" (an environment): it still needs a runner.
        read_job_fields(payload, verdict.job);
        if (!payload.has("installation")) {
            return stop(std::move(verdict), IntakeOutcome::missing_installation,
                        "no installation: not a GitHub App delivery");
        }
        verdict.job.installation_id = payload.object("installation").integer("id", 1, kMaxId);
        if (!pool_serves(pool, verdict.job.labels)) {
            const std::string detail =
                fmt::format("labels [{}] not served by the pool [{}]",
                            fmt::join(verdict.job.labels, ","), fmt::join(pool, ","));
            return stop(std::move(verdict), IntakeOutcome::no_matching_pool, detail);
        }
        return verdict;
    } catch (const InputError& e) {
        return stop(std::move(verdict), IntakeOutcome::malformed_payload, e.what());
    }
}

WebhookIntake::WebhookIntake(Runtime& rt, const ScaleUpConfig& config, LedgerPort& ledger,
                             QueuePort& queue, MetricsRegistry& metrics)
    : rt_(rt),
      config_(config),
      ledger_(ledger),
      queue_(queue),
      metrics_(metrics),
      key_(config.webhook_secret),
      pool_labels_(normalise_labels(config.runner_labels)) {}

Task<WebhookResponse> WebhookIntake::handle(WebhookDelivery delivery) {
    const Instant deadline = rt_.now() + config_.intake_budget;
    Decision decision{IntakeOutcome::unexpected_error, "no outcome reached"};
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
    const auto it = delivery.headers.find("x-hub-signature-256");
    if (it == delivery.headers.end())
        return Decision{IntakeOutcome::signature_missing, "no X-Hub-Signature-256 header"};
    if (!verify_github_signature(key_, delivery.body, it->second)) {
        return Decision{IntakeOutcome::signature_invalid,
                        "X-Hub-Signature-256 does not match the body"};
    }
    return std::nullopt;
}

Task<WebhookIntake::Decision> WebhookIntake::decide(const WebhookDelivery& delivery,
                                                    Instant deadline) {
    if (auto rejected = check_signature(delivery))
        co_return std::move(*rejected);
    const std::string event = header(delivery, "x-github-event");
    if (event != "workflow_job")
        co_return Decision{IntakeOutcome::not_workflow_job, "event=" + event};
    PayloadVerdict verdict = read_workflow_job(delivery.body, pool_labels_);
    if (verdict.outcome)
        co_return Decision{*verdict.outcome, std::move(verdict.detail), verdict.job.job_id};
    const std::string guid = header(delivery, "x-github-delivery");
    if (guid.empty() || guid.size() > kMaxGuidBytes) {
        co_return Decision{IntakeOutcome::invalid_delivery_guid,
                           fmt::format("X-GitHub-Delivery of {} bytes", guid.size()),
                           verdict.job.job_id};
    }
    verdict.job.delivery_guid = guid;
    co_return co_await make_durable(std::move(verdict.job), deadline);
}

Task<WebhookIntake::Decision> WebhookIntake::make_durable(JobMessage job, Instant deadline) {
    const std::int64_t job_id = job.job_id;
    const std::string guid = job.delivery_guid;
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
        co_return Decision{
            IntakeOutcome::unavailable,
            fmt::format("ledger: {}; queue: {}", ledger_error, sent.error().describe()), job_id};
    }
    rt_.spawn(note_sent(rt_, ledger_, config_.call_timeout, "", job_id, rt_.now()));
    co_return Decision{IntakeOutcome::enqueued_direct, "ledger: " + ledger_error, job_id};
}

WebhookResponse WebhookIntake::finish(const WebhookDelivery& delivery, const Decision& decision) {
    const std::string outcome(to_string(decision.outcome));
    metrics_.increment("scaleup_intake_deliveries_total", {{"outcome", outcome}});
    const int status = http_status(decision.outcome);
    if (decision.outcome == IntakeOutcome::duplicate_delivery)
        SCALEUP_PROBE(rt_, intake_duplicate_delivery);
    else if (decision.outcome == IntakeOutcome::enqueued_direct)
        SCALEUP_PROBE(rt_, intake_enqueued_direct);
    else if (decision.outcome == IntakeOutcome::unavailable)
        SCALEUP_PROBE(rt_, intake_unavailable);
    if (rt_.tracing()) {
        rt_.trace("intake", "delivery",
                  fmt::format("guid={} job={} status={} outcome={} detail=\"{}\"",
                              header(delivery, "x-github-delivery"), decision.job_id, status,
                              outcome, decision.detail));
    }
    return WebhookResponse{status, outcome};
}

}  // namespace scaleup
