// The batch's life: parse and filter, skip what is already served, optionally check the job is
// still queued, launch per (owner, labels) group (batch_launch.cpp), then finish: duplicates follow
// their primary, anything without an outcome comes back, dead letters are sent before their message
// is acknowledged, and deferred messages get their visibility delay.
#include "core/consumer/batch_handler.hpp"

#include <algorithm>
#include <exception>
#include <map>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "core/common/format_text.hpp"
#include "core/common/json_reader.hpp"
#include "core/common/retry.hpp"

namespace scaleup {

BatchHandler::BatchHandler(Runtime& rt, const ScaleUpConfig& config, ConsumerPorts ports,
                           InstallationTokenCache& tokens, GitHubClient& github,
                           MetricsRegistry& metrics)
    : rt_(rt),
      config_(config),
      ports_(ports),
      tokens_(tokens),
      github_(github),
      metrics_(metrics),
      messages_(metrics, "scaleup_consumer_messages_total", "outcome", kAllMessageOutcomes),
      pool_labels_(normalise_labels(config.runner_labels)) {}

Task<BatchResult> BatchHandler::handle(std::vector<QueueMessage> batch, Instant deadline) {
    Items items;
    items.reserve(batch.size());
    for (auto& message : batch)
        items.push_back(Item{std::move(message), {}, {}, {}, {}, {}, {}, false, {}});
    if (rt_.tracing()) {
        rt_.tracef("consumer", "batch_start", FMT_COMPILE("messages={} deadline={}"), items.size(),
                   format_instant(deadline));
    }
    const Instant until = deadline - config_.deadline_margin;
    try {
        co_await process(items, until);
    } catch (const std::exception& e) {
        // Whatever is not durably handled yet comes back: finish() turns "no outcome" into
        // unexpected_error_retry. Outcomes already reached stand, they are durable.
        if (rt_.tracing())
            rt_.tracef("consumer", "unexpected_error", FMT_COMPILE("what=\"{}\""), e.what());
        for (auto& item : items) {
            if (!item.outcome)
                item.detail = e.what();
        }
    }
    try {
        co_await finish(items, deadline);
    } catch (const std::exception& e) {
        for (auto& item : items) {
            if (item.dead_letter_reason && !item.dead_letter_sent)
                item.outcome.reset();
            if (!item.outcome)
                item.detail = e.what();
        }
    }
    co_return report(items);
}

Task<void> BatchHandler::process(Items& items, Instant until) {
    parse_and_filter(items);
    mark_duplicates(items);
    co_await skip_already_served(items, until);
    if (config_.job_queued_check)
        co_await apply_queued_check(items, until);

    // Group by (runner owner, label set), in a deterministic order.
    std::map<std::pair<std::string, std::vector<std::string>>, Members> groups;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const Item& item = items[i];
        if (item.outcome || item.primary)
            continue;
        groups[{runner_owner(*item.job).key(), item.label_set}].push_back(i);
    }
    for (auto& [key, members] : groups) {
        if (rt_.now() >= until)
            break;  // the rest come back as deadline_retry
        co_await launch_group(items, std::move(members), until);
    }
    for (auto& item : items) {
        if (!item.outcome && !item.primary && item.job) {
            item.outcome = MessageOutcome::deadline_retry;
            item.detail = "the handler's deadline came first";
        }
    }
}

void BatchHandler::parse_and_filter(Items& items) {
    for (auto& item : items) {
        try {
            item.job = JobMessage::parse(item.message.body);
        } catch (const InputError& e) {
            item.outcome = MessageOutcome::dead_lettered_malformed;
            item.dead_letter_reason =
                fmt::format(FMT_COMPILE("malformed job message: {}"), e.what());
            item.detail = e.what();
            continue;
        }
        item.label_set = normalise_labels(item.job->labels);
        if (config_.org_runners && item.job->owner_type != "Organization") {
            item.outcome = MessageOutcome::not_organization;
            item.detail = "organization runners are configured; the owner is a user";
        } else if (!serves_labels(item.label_set)) {
            item.outcome = MessageOutcome::no_matching_labels;
            item.detail =
                fmt::format(FMT_COMPILE("labels [{}] not served by the pool [{}]"),
                            fmt::join(item.job->labels, ","), fmt::join(pool_labels_, ","));
        }
    }
}

void BatchHandler::mark_duplicates(Items& items) {
    std::map<std::int64_t, std::size_t> first_of_job;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (items[i].outcome)
            continue;
        const auto [it, inserted] = first_of_job.emplace(items[i].job->job_id, i);
        if (!inserted)
            items[i].primary = it->second;
    }
}

Task<void> BatchHandler::skip_already_served(Items& items, Instant until) {
    for (auto& item : items) {
        if (item.outcome || item.primary)
            continue;
        // A reconciler requeue (attempt > 0) means GitHub still has the job queued and the supply
        // launched for it is gone (its instance never booted, or was interrupted). The ledger's
        // record of that launch is then no proof of service: launch again. Found by the scenario
        // scale-down-races-assignment, where such jobs were acknowledged as served forever.
        if (item.job->attempt > 0)
            continue;
        const std::int64_t job_id = item.job->job_id;
        auto served = co_await with_retries<std::optional<std::string>>(
            rt_, aws_retry_rules(config_), until,
            [&] { return ports_.ledger.configured_instance_for_job(job_id); });
        if (!served.ok()) {
            item.outcome = MessageOutcome::ledger_error_retry;
            item.detail = served.error().describe();
        } else if (served.value()) {
            item.outcome = MessageOutcome::already_served;
            item.detail = *served.value();
        }
    }
}

Task<void> BatchHandler::apply_queued_check(Items& items, Instant until) {
    for (auto& item : items) {
        if (item.outcome || item.primary)
            continue;
        const JobMessage& job = *item.job;
        if (budget_too_low_for_check(job.installation_id)) {
            SCALEUP_PROBE(rt_, queued_check_skipped);
            metrics_.increment("scaleup_consumer_queued_check_total",
                               {{"result", "skipped_low_budget"}});
            continue;  // as if queued: the check is an optimisation, the launch is not
        }
        // Arguments named first: g++ 12 destroys a temporary argument of a co_await twice.
        const RunnerOwner owner = runner_owner(job);
        auto check = github_.get_job_status(job.installation_id, owner, job.owner, job.repo,
                                            job.job_id, until);
        auto status = co_await std::move(check);
        // Fail open: an error of the check must not cost the job its runner.
        if (!status.ok()) {
            metrics_.increment("scaleup_consumer_queued_check_total",
                               {{"result", "error_fail_open"}});
            continue;
        }
        const JobStatus seen = status.value();
        const bool queued = seen == JobStatus::queued || seen == JobStatus::waiting;
        // An ephemeral runner serves one job, and any runner takes any job it matches: a job
        // another runner took used the runner launched for some other job, which now needs one.
        // So only a job that ended without a runner needs none (core.md rule 7).
        const bool needs_no_runner =
            seen == JobStatus::completed_never_ran || (!config_.ephemeral && !queued);
        metrics_.increment("scaleup_consumer_queued_check_total",
                           {{"result", queued            ? "queued"
                                       : needs_no_runner ? "not_queued"
                                                         : "taken_launch_anyway"}});
        if (needs_no_runner) {
            item.outcome = MessageOutcome::job_not_queued;
            item.detail = seen == JobStatus::completed_never_ran
                              ? "GitHub reports the job ended without a runner"
                              : "GitHub reports the job is no longer queued";
        }
    }
}

// Upstream's queued check costs one core request per message, from the budget scale-down needs
// to list runners: a check that spends the last of it blinds orphan clean-up until the reset.
// So the check spends only slack: it runs while the installation has used no more than its
// pro-rata share of the hour (the primary window). Whatever the other calls spend, as long as
// they alone fit the limit, the budget then lasts until the reset.
bool BatchHandler::budget_too_low_for_check(std::int64_t installation_id) const {
    const auto budget = github_.core_budget(installation_id);
    if (!budget || budget->limit <= 0)
        return false;
    const auto to_reset =
        std::chrono::duration_cast<std::chrono::seconds>(budget->reset - rt_.now());
    const auto window = std::chrono::duration_cast<std::chrono::seconds>(kPrimaryRateWindow);
    // remaining / limit < to_reset / window, in integers.
    return budget->remaining * window.count() < budget->limit * to_reset.count();
}

Task<void> BatchHandler::finish(Items& items, Instant deadline) {
    for (auto& item : items) {
        if (!item.primary)
            continue;
        const Item& primary = items[*item.primary];
        if (primary.outcome && is_acknowledged(*primary.outcome)) {
            item.outcome = MessageOutcome::duplicate_in_batch;
            item.detail = primary.message.id;
        } else {
            item.outcome = primary.outcome;
            item.delay = primary.delay;
            item.detail = "duplicate of " + primary.message.id;
        }
    }
    for (auto& item : items) {
        if (!item.outcome)
            item.outcome = MessageOutcome::unexpected_error_retry;
    }
    // Most batches have neither to do: their coroutine frames are not made for nothing.
    if (std::any_of(items.begin(), items.end(), goes_to_dead_letters))
        co_await send_dead_letters(items, deadline);
    if (std::any_of(items.begin(), items.end(), needs_visibility_delay))
        co_await apply_visibility_delays(items, deadline);
}

bool BatchHandler::goes_to_dead_letters(const Item& item) {
    return item.dead_letter_reason && is_acknowledged(*item.outcome);
}

bool BatchHandler::needs_visibility_delay(const Item& item) {
    return !is_acknowledged(*item.outcome) && item.delay;
}

Task<void> BatchHandler::send_dead_letters(Items& items, Instant deadline) {
    for (auto& item : items) {
        if (!goes_to_dead_letters(item))
            continue;
        const std::string body = item.message.body;
        const std::string reason = *item.dead_letter_reason;
        auto sent = co_await with_retries<Done>(rt_, aws_retry_rules(config_), deadline, [&] {
            return ports_.queue.send_to_dead_letter(body, reason);
        });
        if (sent.ok()) {
            item.dead_letter_sent = true;
        } else {
            item.outcome = MessageOutcome::dead_letter_failed_retry;
            item.detail = sent.error().describe();
        }
    }
}

Task<void> BatchHandler::apply_visibility_delays(Items& items, Instant deadline) {
    for (auto& item : items) {
        if (!needs_visibility_delay(item))
            continue;
        // Backoffs are already capped at max_retry_delay; a rate limit's reset is honoured in full,
        // up to SQS's 12-hour visibility limit.
        const Duration delay = std::clamp(*item.delay, Duration{0}, hours(12));
        const std::string handle = item.message.receipt_handle;
        // Best effort: if it fails, the message still comes back after the visibility timeout.
        auto changed = co_await with_retries<Done>(rt_, aws_retry_rules(config_), deadline, [&] {
            return ports_.queue.change_visibility(handle, delay);
        });
        if (!changed.ok())
            item.delay.reset();
    }
}

BatchResult BatchHandler::report(Items& items) {
    BatchResult result;
    for (auto& item : items) {
        // A dead letter that was never sent must not be acknowledged.
        if (item.outcome && is_acknowledged(*item.outcome) && item.dead_letter_reason &&
            !item.dead_letter_sent) {
            item.outcome = MessageOutcome::unexpected_error_retry;
        }
        const MessageOutcome outcome =
            item.outcome.value_or(MessageOutcome::unexpected_error_retry);
        if (!is_acknowledged(outcome))
            result.item_failures.push_back(item.message.id);
        if (const auto probe = probe_of(outcome))
            rt_.probes().hit(*probe);
        messages_.increment(outcome);
        if (rt_.tracing()) {
            rt_.tracef("consumer", "message", FMT_COMPILE("id={} job={} outcome={} detail=\"{}\""),
                       item.message.id, item.job ? item.job->job_id : 0, to_string(outcome),
                       item.detail);
        }
        result.reports.push_back({item.message.id, outcome, item.detail,
                                  is_acknowledged(outcome) ? std::nullopt : item.delay});
    }
    return result;
}

void BatchHandler::fail_from_error(Item& item, const ServiceError& error,
                                   MessageOutcome retry_outcome) {
    item.detail = error.describe();
    switch (error.kind) {
        case ErrorKind::rate_limited:
        case ErrorKind::secondary_rate_limited:
            item.outcome = MessageOutcome::rate_limited_retry;
            item.delay = std::max(seconds(1), error.retry_at.value_or(rt_.now()) - rt_.now());
            return;
        case ErrorKind::forbidden:
        case ErrorKind::invalid:
        case ErrorKind::permanent:
            // Retrying cannot help (installation suspended, misconfiguration): dead-letter it with
            // the reason, where an alarm sees it. Never silent, never retried forever.
            item.outcome = MessageOutcome::dead_lettered_permanent_error;
            item.dead_letter_reason = error.describe();
            return;
        default:
            item.outcome = retry_outcome;
            if (error.retry_at && *error.retry_at > rt_.now())
                item.delay = *error.retry_at - rt_.now();
            return;
    }
}

Duration BatchHandler::backoff_delay(const Item& item) {
    Duration delay = config_.capacity_retry_delay;
    for (int i = 1; i < item.message.receive_count && delay < config_.max_retry_delay; ++i)
        delay *= 2;
    delay = std::min(delay, config_.max_retry_delay);
    // Jitter in [delay/2, delay]: deferred messages of one burst do not come back together.
    return rt_.random().between(delay / 2, delay);
}

RunnerOwner BatchHandler::runner_owner(const JobMessage& job) const {
    return config_.org_runners ? RunnerOwner{job.owner, ""} : RunnerOwner{job.owner, job.repo};
}

bool BatchHandler::serves_labels(const std::vector<std::string>& label_set) const {
    // A runner takes a job when it has every label the job asks for.
    return std::includes(pool_labels_.begin(), pool_labels_.end(), label_set.begin(),
                         label_set.end());
}

std::string BatchHandler::new_reservation_id() {
    return format_text(FMT_COMPILE("res-{:016x}"), rt_.random().next_u64());
}

}  // namespace scaleup
