// SimulatedGitHub, webhook side: one workflow_job delivery per job transition, the App's delivery
// log, and redelivery through the API (service-semantics.md 1.4, 1.5).
//
// GitHub signs the body with the webhook secret, sends it once, and records what intake answered:
// 2xx within the timeout is "OK"; anything else (an error status, a timeout, no connection) is a
// failed attempt that GitHub NEVER retries on its own. Only a redelivery request sends it again,
// with the same GUID and bytes, as a new attempt with its own id.
#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "core/common/format_text.hpp"
#include "core/intake/hmac_sha256.hpp"
#include "sim/backends/simulated_github.hpp"
#include "sim/backends/workflow_job_payload.hpp"

namespace scaleup::sim {

namespace {
constexpr std::int64_t kFirstAccountId = 9'100'001;
constexpr std::int64_t kFirstRepositoryId = 610'000'001;
constexpr const char* kHookId = "470000001";
constexpr const char* kCursorPrefix = "v1_";

const char* status_name(JobStatus status) {
    switch (status) {
        case JobStatus::queued:
            return "queued";
        case JobStatus::in_progress:
            return "in_progress";
        case JobStatus::completed:
        case JobStatus::completed_never_ran:  // a record's status is never this; the API's view
            return "completed";
        case JobStatus::waiting:
            return "waiting";
        case JobStatus::other:
            break;
    }
    return "requested";
}
}  // namespace

std::int64_t SimulatedGitHub::account_id(const std::string& login) {
    const auto [it, added] = account_ids_.try_emplace(
        login, kFirstAccountId + static_cast<std::int64_t>(account_ids_.size()));
    return it->second;
}

std::int64_t SimulatedGitHub::repository_id(const std::string& owner, const std::string& repo) {
    const auto [it, added] = repository_ids_.try_emplace(
        owner + "/" + repo, kFirstRepositoryId + static_cast<std::int64_t>(repository_ids_.size()));
    return it->second;
}

AccountType SimulatedGitHub::account_type(const std::string& login) const {
    for (const auto& [id, installation] : installations_) {
        if (installation.account == login)
            return installation.type;
    }
    return AccountType::organization;
}

Identifier SimulatedGitHub::new_guid() {
    const std::uint64_t high = random_.next_u64();
    const std::uint64_t low = random_.next_u64();
    // 8-4-4-4-12 lowercase hex digits: the 128 bits, high nibble first, with dashes after the
    // 8th, 12th, 16th and 20th digit. Written by hand: fmt's padded hex fields were 2 % of a day.
    constexpr std::string_view kDigits = "0123456789abcdef";
    char text[36];
    std::size_t at = 0;
    for (int digit = 0; digit < 32; ++digit) {
        if (digit == 8 || digit == 12 || digit == 16 || digit == 20)
            text[at++] = '-';
        const std::uint64_t word = digit < 16 ? high : low;
        const int shift = 60 - 4 * (digit % 16);
        text[at++] = kDigits[(word >> shift) & 0xf];
    }
    return Identifier(std::string_view(text, sizeof(text)));
}

// ---- sending ------------------------------------------------------------------------------------

void SimulatedGitHub::emit(JobRecord& job, const char* action) {
    WebhookPayload payload;
    payload.guid = new_guid();
    payload.action = action;
    payload.job_id = job.id;
    payload.installation_id = job.installation_id;
    payload.created_at = rt_.now();
    payload.status = job.status;
    payload.conclusion = job.conclusion;
    payload.started_at = job.started_at;
    payload.completed_at = job.completed_at;
    payload.runner_id = job.runner_id;
    // Ids are given out the first time an account or repository is seen: now, not at delivery.
    // A job keeps them from its first webhook (looking them up built a key and searched two maps
    // at each of its three webhooks).
    if (job.owner_id == 0) {
        job.owner_id = account_id(job.owner);
        job.repository_id = repository_id(job.owner, job.repo);
    }
    payload.owner_id = job.owner_id;
    payload.owner_is_organization = account_type(job.owner) == AccountType::organization;
    payload.repository_id = job.repository_id;
    payloads_.push_back(std::move(payload));
    rt_.spawn(deliver(payloads_.size() - 1, false));
}

WorkflowJobEvent SimulatedGitHub::event_of(const WebhookPayload& payload) const {
    const JobRecord& job = jobs_.at(payload.job_id);
    WorkflowJobEvent event;
    event.action = payload.action;
    event.job_id = job.id;
    event.run_id = job.run_id;
    event.owner = job.owner;
    event.owner_id = payload.owner_id;
    event.owner_is_organization = payload.owner_is_organization;
    event.repo = job.repo;
    event.repository_id = payload.repository_id;
    event.labels = job.labels;
    event.status = status_name(payload.status);
    event.conclusion = payload.conclusion;
    event.created_at = job.queued_at;
    event.started_at = payload.started_at;
    event.completed_at = payload.completed_at;
    event.runner_id = payload.runner_id;
    if (const RunnerRecord* runner = runners_.find(payload.runner_id))
        event.runner_name = runner->name;  // a runner's name never changes
    event.installation_id = payload.installation_id;
    return event;
}

WebhookDelivery SimulatedGitHub::request_of(const WebhookPayload& payload) {
    WebhookDelivery request;
    request.body = payload_writer_.write(event_of(payload));
    // Set one by one, in name order, into room for all: about 350 bytes of names and values.
    WebhookHeaders& headers = request.headers;
    headers.reserve(8, 384);
    headers.set("content-type", "application/json");
    headers.set("user-agent", "GitHub-Hookshot/simulated");
    headers.set("x-github-delivery", payload.guid);
    headers.set("x-github-event", "workflow_job");
    headers.set("x-github-hook-id", kHookId);
    headers.set("x-github-hook-installation-target-id", options_.app_id);
    headers.set("x-github-hook-installation-target-type", "integration");
    headers.set("x-hub-signature-256", github_signature(webhook_key_, request.body));
    return request;
}

Task<void> SimulatedGitHub::deliver(std::size_t payload, bool redelivery) {
    co_await rt_.sleep(options_.webhook_latency.draw(random_));
    const Instant sent = rt_.now();
    if (any_active(options_.intake_unreachable, sent)) {
        // The load balancer in front of intake answers; intake never sees the request.
        log_attempt(payload, redelivery, sent, 502, "Invalid HTTP Response: 502");
        co_return;
    }
    if (!intake_) {
        log_attempt(payload, redelivery, sent, 0, "failed to connect to host");
        co_return;
    }
    Task<WebhookResponse> call = intake_(request_of(payloads_[payload]));
    const bool answered = co_await race(rt_, call, rt_.now() + options_.intake_timeout);
    if (!answered) {
        log_attempt(payload, redelivery, sent, 0, "timed out");  // intake runs on, unheard
        co_return;
    }
    const WebhookResponse response = co_await std::move(call);
    const int code = response.status;
    const bool ok = code >= 200 && code < 300;
    log_attempt(
        payload, redelivery, sent, code,
        ok ? std::string("OK") : fmt::format(FMT_COMPILE("Invalid HTTP Response: {}"), code));
}

void SimulatedGitHub::log_attempt(std::size_t payload, bool redelivery, Instant sent,
                                  int status_code, std::string status) {
    const WebhookPayload& sent_payload = payloads_[payload];
    DeliveryAttempt attempt;
    attempt.id = next_attempt_id_++;
    attempt.payload = payload;
    attempt.delivered_at = sent;
    attempt.duration = rt_.now() - sent;
    attempt.status_code = status_code;
    attempt.redelivery = redelivery;
    attempt.status = std::move(status);
    if (rt_.tracing()) {
        tracef("delivery", FMT_COMPILE("id={} guid={} action={} job={} redelivery={} status={}"),
               attempt.id, sent_payload.guid, sent_payload.action, sent_payload.job_id, redelivery,
               status_code);
    }
    attempts_.push_back(std::move(attempt));
}

HookDelivery SimulatedGitHub::hook_delivery(const DeliveryAttempt& attempt) const {
    const WebhookPayload& payload = payloads_[attempt.payload];
    HookDelivery delivery;
    delivery.id = attempt.id;
    delivery.guid = payload.guid;
    delivery.delivered_at = attempt.delivered_at;
    delivery.redelivery = attempt.redelivery;
    delivery.status_code = attempt.status_code;
    delivery.status = attempt.status;
    delivery.event = "workflow_job";
    delivery.action = payload.action;
    return delivery;
}

// ---- the delivery log API -----------------------------------------------------------------------

// Newest first, `deliveries_per_page` per page. The cursor names the last id already listed, so
// paging is stable while new attempts arrive (they all have larger ids).
Result<HookDeliveryPage> SimulatedGitHub::serve_hook_deliveries(const std::string& cursor) const {
    std::int64_t below = std::numeric_limits<std::int64_t>::max();
    if (!cursor.empty()) {
        const std::string_view digits = std::string_view(cursor).substr(
            cursor.starts_with(kCursorPrefix) ? std::string_view(kCursorPrefix).size() : 0);
        const auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), below);
        if (!cursor.starts_with(kCursorPrefix) || parsed.ec != std::errc() ||
            parsed.ptr != digits.data() + digits.size()) {
            return make_error(ErrorKind::invalid, "github", "422", "Invalid cursor");
        }
    }
    // attempts_ is in increasing id order.
    auto end = std::lower_bound(
        attempts_.begin(), attempts_.end(), below,
        [](const DeliveryAttempt& attempt, std::int64_t id) { return attempt.id < id; });
    HookDeliveryPage page;
    page.deliveries.reserve(std::min<std::size_t>(
        options_.deliveries_per_page, static_cast<std::size_t>(end - attempts_.begin())));
    while (end != attempts_.begin() && page.deliveries.size() < options_.deliveries_per_page) {
        --end;
        page.deliveries.push_back(hook_delivery(*end));
    }
    if (end != attempts_.begin() && !page.deliveries.empty())
        page.next_cursor =
            fmt::format(FMT_COMPILE("{}{}"), kCursorPrefix, page.deliveries.back().id);
    return page;
}

Status SimulatedGitHub::serve_redelivery(std::int64_t delivery_id) {
    const auto it = std::lower_bound(
        attempts_.begin(), attempts_.end(), delivery_id,
        [](const DeliveryAttempt& attempt, std::int64_t id) { return attempt.id < id; });
    if (it == attempts_.end() || it->id != delivery_id)
        return make_error(ErrorKind::not_found, "github", "404", "Not Found");
    if (rt_.now() - it->delivered_at > options_.redelivery_window) {
        return make_error(ErrorKind::invalid, "github", "422",
                          "Deliveries older than 3 days cannot be redelivered");
    }
    rt_.spawn(deliver(it->payload, true));
    return ok_status();
}

}  // namespace scaleup::sim
