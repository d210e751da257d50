#include "sim/checkers/job_classification.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/common/json_reader.hpp"
#include "core/common/lookup_table.hpp"
#include "core/consumer/job_message.hpp"

namespace scaleup::sim {

std::optional<std::int64_t> job_id_of_body(const std::string& body) {
    try {
        return JobMessage::parse(body).job_id;
    } catch (const InputError&) {
        return std::nullopt;
    }
}

const char* to_string(JobFate fate) {
    switch (fate) {
        case JobFate::ran:
            return "ran";
        case JobFate::cancelled:
            return "cancelled";
        case JobFate::dead_lettered:
            return "dead_lettered";
        case JobFate::not_served:
            return "not_served";
        case JobFate::suspended:
            return "suspended";
        case JobFate::stuck:
            return "stuck";
        case JobFate::lost:
            return "lost";
    }
    return "lost";
}

bool job_is_served(const World& world, const SimulatedGitHub::JobRecord& job) {
    const auto& config = world.options().config;
    const auto pool = normalise_labels(config.runner_labels);
    const auto wanted = normalise_labels(job.labels);
    if (!std::includes(pool.begin(), pool.end(), wanted.begin(), wanted.end()))
        return false;
    if (!config.org_runners)
        return true;
    const auto& installations = world.github().installations();
    return std::none_of(installations.begin(), installations.end(), [&](const auto& entry) {
        return entry.second.account == job.owner && entry.second.type == AccountType::user;
    });
}

bool job_owner_suspended(const World& world, const SimulatedGitHub::JobRecord& job) {
    const auto& installations = world.github().installations();
    const bool suspended =
        std::any_of(installations.begin(), installations.end(), [&](const auto& entry) {
            return entry.second.account == job.owner && entry.second.suspended &&
                   !entry.second.removed;
        });
    // The reconciler lists every configured owner's queued jobs; a suspended installation
    // answers 403 there, and that counter is what an alarm watches.
    const auto reported = world.metrics().value(
        "scaleup_github_calls_total", {{"call", "list_queued_jobs"}, {"outcome", "forbidden"}});
    return suspended && reported > 0;
}

JobClassification classify_jobs(const World& world) {
    JobClassification out;
    std::map<std::int64_t, int> live_messages;
    std::map<std::int64_t, int> all_messages;
    // Each body is parsed once: a duplicate message and most dead letters (the handler sends the
    // body it received) carry a body already seen, byte for byte.
    LookupTable<std::string_view, std::optional<std::int64_t>> parsed;
    const auto job_of = [&parsed](const std::string& body) {
        if (const auto* known = parsed.find(body))
            return *known;
        return parsed.try_emplace(body, job_id_of_body(body)).first;
    };
    for (const auto& record : world.sqs().records()) {
        const auto job = job_of(record.body);
        out.message_jobs.push_back(job);
        if (!job)
            continue;
        ++all_messages[*job];
        if (record.in_queue)
            ++live_messages[*job];
    }
    std::map<std::int64_t, const SimulatedSqs::DeadLetter*> dead;
    for (const auto& letter : world.sqs().dead_letters()) {
        const auto job = job_of(letter.body);
        out.dead_letter_jobs.push_back(job);
        if (job && dead.count(*job) == 0)
            dead[*job] = &letter;
    }
    for (const auto& job : world.github().jobs()) {
        const std::int64_t id = job.id;
        JobView view;
        view.job_id = id;
        view.messages = all_messages[id];
        const auto letter = dead.find(id);
        if (letter != dead.end()) {
            view.dead_lettered_at = letter->second->at;
            view.dead_letter_reason = letter->second->reason;
        }
        if (job.started_at) {
            view.fate = JobFate::ran;
        } else if (job.conclusion == "cancelled" && !job.expired_in_queue) {
            view.fate = JobFate::cancelled;
        } else if (view.dead_lettered_at) {
            view.fate = JobFate::dead_lettered;
        } else if (!job_is_served(world, job)) {
            view.fate = JobFate::not_served;
        } else if (job_owner_suspended(world, job)) {
            view.fate = JobFate::suspended;
        } else if (job.status == JobStatus::queued && live_messages[id] > 0) {
            view.fate = JobFate::stuck;
        } else {
            view.fate = JobFate::lost;
        }
        ++out.counts[view.fate];
        out.jobs.emplace(id, std::move(view));
    }
    return out;
}

std::string describe_job(const World& world, std::int64_t job_id) {
    const auto* job = world.github().job(job_id);
    if (job == nullptr)
        return fmt::format("job {} (unknown to GitHub)", job_id);
    std::string text = fmt::format("job {} {}/{} [{}] queued {}", job_id, job->owner, job->repo,
                                   fmt::join(job->labels, ","), format_instant(job->queued_at));
    if (job->started_at)
        text += fmt::format(" started {}", format_instant(*job->started_at));
    if (job->completed_at) {
        text +=
            fmt::format(" completed {} ({}{})", format_instant(*job->completed_at), job->conclusion,
                        job->expired_in_queue ? ", expired in GitHub's queue" : "");
    }
    return text;
}

}  // namespace scaleup::sim
