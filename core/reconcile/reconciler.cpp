// The reasoning (demand against supply per runner owner, never pairing runners to jobs) is at the
// top of reconciler.hpp.
#include "core/reconcile/reconciler.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include <fmt/format.h>

#include "core/common/periodic.hpp"
#include "core/common/retry.hpp"
#include "core/consumer/job_message.hpp"

namespace scaleup {

namespace {
constexpr const char* kJobsMetric = "scaleup_reconciler_jobs_total";
constexpr const char* kReconcilerRunsMetric = "scaleup_reconciler_runs_total";
}  // namespace

Reconciler::Reconciler(Runtime& rt, const ScaleUpConfig& config, GitHubPort& github,
                       InstallationTokenCache& tokens, QueuePort& queue, LedgerPort& ledger,
                       MetricsRegistry& metrics)
    : rt_(rt),
      config_(config),
      github_(rt, github, tokens, config, metrics),
      queue_(queue),
      ledger_(ledger),
      metrics_(metrics),
      pool_labels_(normalise_labels(config.runner_labels)) {}

Task<ReconcileReport> Reconciler::reconcile_once(Instant deadline) {
    ReconcileReport report;
    Result<Held> held = co_await with_retries<Held>(rt_, aws_retry_rules(config_), deadline,
                                                    [&] { return ledger_.held_instances(); });
    if (!held) {
        // Without the supply nothing can be decided; requeuing blind could double every runner.
        metrics_.increment(kReconcilerRunsMetric, {{"result", "error"}});
        if (rt_.tracing()) {
            rt_.tracef("reconciler", "held_failed", FMT_COMPILE("error=\"{}\""),
                       held.error().describe());
        }
        co_return report;
    }
    Pass pass{held.value(), report, config_.reconcile_max_requeues_per_run, deadline, true, {}, {}};
    pass.launched_for = launched_by_job(pass.held);
    std::set<RunnerOwner> done;
    for (const auto& text : config_.reconcile_owners) {
        const RunnerOwner owner = parse_owner(text);
        if (!done.insert(owner).second)
            continue;
        if (rt_.now() >= deadline) {
            pass.complete = false;
            break;
        }
        co_await reconcile_owner(owner, pass);
    }
    if (pass.complete)
        prune_attempts(pass.seen);
    const bool clean = report.errors == 0 && report.owners_failed == 0 && pass.complete;
    metrics_.increment(kReconcilerRunsMetric, {{"result", clean ? "ok" : "error"}});
    if (rt_.tracing()) {
        rt_.tracef("reconciler", "run",
                   FMT_COMPILE("requeued={} has_runner={} covered={} in_flight={} too_young={} "
                               "not_served={} limited={} errors={} owners_failed={}"),
                   report.requeued.size(), report.has_runner, report.covered, report.in_flight,
                   report.too_young, report.not_served, report.limit_reached, report.errors,
                   report.owners_failed);
    }
    co_return report;
}

Task<void> Reconciler::run(CancellationToken cancel, Duration interval) {
    return run_periodically(rt_, std::move(cancel), interval, metrics_, kReconcilerRunsMetric,
                            "reconciler",
                            [this](Instant deadline) { return reconcile_once(deadline); });
}

Task<void> Reconciler::reconcile_owner(RunnerOwner owner, Pass& pass) {
    Result<QueuedJobs> listed = co_await github_.list_queued_jobs(owner, pass.deadline);
    if (!listed) {
        ++pass.report.owners_failed;
        pass.complete = false;
        if (rt_.tracing()) {
            rt_.tracef("reconciler", "list_failed", FMT_COMPILE("owner={} error=\"{}\""),
                       owner.key(), listed.error().describe());
        }
        co_return;
    }
    // Per runner owner: with repository-level runners, an organization's jobs split by repository.
    std::map<RunnerOwner, Jobs> groups;
    for (auto& job : listed.value().jobs) {
        if (!pass.seen.insert(job.job_id).second)
            continue;  // listed under another configured owner already
        if (!pool_serves(pool_labels_, job.labels)) {
            ++pass.report.not_served;
            count("not_served");
            continue;
        }
        std::optional<JobState> state = co_await look_up(job, pass.deadline);
        if (!state) {
            ++pass.report.errors;
            count("error");
            continue;
        }
        groups[runner_owner_of(config_, job.owner, job.repo)].push_back(std::move(*state));
    }
    for (auto& [group_owner, jobs] : groups)
        co_await settle_group(group_owner, std::move(jobs), listed.value().installation_id, pass);
}

Task<std::optional<Reconciler::JobState>> Reconciler::look_up(QueuedJob job, Instant deadline) {
    const std::int64_t job_id = job.job_id;
    auto configured = co_await with_retries<std::optional<std::string>>(
        rt_, aws_retry_rules(config_), deadline,
        [&] { return ledger_.configured_instance_for_job(job_id); });
    if (!configured)
        co_return std::nullopt;
    auto enqueued = co_await with_retries<std::optional<Instant>>(
        rt_, aws_retry_rules(config_), deadline, [&] { return ledger_.last_enqueued(job_id); });
    if (!enqueued)
        co_return std::nullopt;
    const Instant now = rt_.now();
    JobState state{std::move(job), std::move(configured).value(), false, false};
    state.young = now - state.job.created_at < config_.reconcile_min_queued_age;
    state.in_flight =
        enqueued.value() && now - *enqueued.value() < config_.reconcile_inflight_window;
    co_return state;
}

Reconciler::LaunchedFor Reconciler::launched_by_job(const Held& held) {
    LaunchedFor launched;
    launched.reserve(held.size());
    for (const auto& instance : held)
        launched.emplace_back(instance.job_id, instance.instance_id);
    std::sort(launched.begin(), launched.end());
    launched.erase(std::unique(launched.begin(), launched.end()), launched.end());
    return launched;
}

std::span<const Reconciler::LaunchedFor::value_type> Reconciler::launched_for_job(
    const LaunchedFor& launched, std::int64_t job) {
    const auto first = std::lower_bound(
        launched.begin(), launched.end(), job,
        [](const LaunchedFor::value_type& entry, std::int64_t j) { return entry.first < j; });
    auto last = first;
    while (last != launched.end() && last->first == job)
        ++last;
    return {first, last};
}

Reconciler::InstanceIds Reconciler::launched_ids(const LaunchedFor& launched, std::int64_t job) {
    InstanceIds ids;
    for (const auto& entry : launched_for_job(launched, job))
        ids.emplace(entry.second);
    return ids;
}

bool Reconciler::launched_since_enqueue(const JobState& state,
                                        const LaunchedFor& launched_for) const {
    const auto held = launched_for_job(launched_for, state.job.job_id);
    const auto requeued = requeues_.find(state.job.job_id);
    if (requeued != requeues_.end() &&
        rt_.now() - requeued->second.at < config_.reconcile_inflight_window) {
        // Our own requeue is the latest enqueue: only an instance launched after it counts.
        const auto& before = requeued->second.launched_before;
        return std::any_of(held.begin(), held.end(),
                           [&](const auto& entry) { return before.count(entry.second) == 0; });
    }
    // The intake's message (or a requeue this process no longer remembers): any launch counts.
    return state.configured.has_value() || !held.empty();
}

int Reconciler::idle_supply(const Held& held, const std::vector<RunnerInfo>& runners,
                            const Jobs& jobs) const {
    // Views of the listed names, and one name buffer: a pass looks up every held instance.
    std::map<std::string_view, const RunnerInfo*> by_name;
    for (const auto& runner : runners)
        by_name.emplace(runner.name, &runner);
    int idle = 0;
    std::string name = config_.runner_name_prefix;
    for (const auto& instance : held) {
        name.resize(config_.runner_name_prefix.size());
        name += instance.instance_id;
        const auto runner = by_name.find(name);
        if (runner != by_name.end()) {
            idle += runner->second->busy ? 0 : 1;
            continue;
        }
        // No runner listed: still being configured if it was launched for one of these queued
        // jobs and that job is not marked configured by it yet. Otherwise its runner is gone (it
        // ran a job) or it belongs to another owner.
        const auto job = std::find_if(jobs.begin(), jobs.end(), [&](const JobState& s) {
            return s.job.job_id == instance.job_id;
        });
        if (job != jobs.end() && job->configured != instance.instance_id)
            ++idle;
    }
    return idle;
}

Task<void> Reconciler::settle_group(RunnerOwner owner, Jobs jobs, std::int64_t installation_id,
                                    Pass& pass) {
    const LaunchedFor& launched_for = pass.launched_for;
    std::vector<const JobState*> eligible;
    int pending = 0;
    for (const auto& state : jobs) {
        const bool launched = launched_since_enqueue(state, launched_for);
        if (state.young || (state.in_flight && !launched)) {
            // Its message will launch a runner, unless it already did (that instance is supply).
            pending += launched ? 0 : 1;
            ++(state.young ? pass.report.too_young : pass.report.in_flight);
            count(state.young ? "too_young" : "in_flight");
        } else {
            eligible.push_back(&state);
        }
    }
    if (eligible.empty())
        co_return;
    Result<std::vector<RunnerInfo>> runners = co_await github_.list_runners(owner, pass.deadline);
    if (!runners) {
        pass.report.errors += static_cast<int>(eligible.size());
        for (std::size_t i = 0; i < eligible.size(); ++i)
            count("error");
        co_return;
    }
    const int demand = static_cast<int>(jobs.size());
    const int idle = idle_supply(pass.held, runners.value(), jobs);
    const int shortfall = std::max(0, demand - idle - pending);
    if (rt_.tracing()) {
        rt_.tracef("reconciler", "group",
                   FMT_COMPILE("owner={} demand={} idle={} pending={} shortfall={}"), owner.key(),
                   demand, idle, pending, shortfall);
    }
    // Jobs with no runner first: the consumer launches for them at once. Then the oldest first.
    std::stable_sort(eligible.begin(), eligible.end(), [](const JobState* a, const JobState* b) {
        if (a->configured.has_value() != b->configured.has_value())
            return !a->configured.has_value();
        if (a->job.created_at != b->job.created_at)
            return a->job.created_at < b->job.created_at;
        return a->job.job_id < b->job.job_id;
    });
    int requeued = 0;
    for (const JobState* state : eligible) {
        if (requeued >= shortfall) {
            ++(state->configured ? pass.report.has_runner : pass.report.covered);
            count(state->configured ? "has_runner" : "covered");
        } else if (pass.budget <= 0 || rt_.now() >= pass.deadline) {
            ++pass.report.limit_reached;
            count("limit_reached");
        } else {
            // Named: g++ 12 destroys a temporary argument inside a co_await expression twice.
            InstanceIds launched_before = launched_ids(launched_for, state->job.job_id);
            if (co_await requeue(state->job, installation_id, pass.deadline,
                                 std::move(launched_before))) {
                ++requeued;
                --pass.budget;
                pass.report.requeued.push_back(state->job.job_id);
                count("requeued");
            } else {
                ++pass.report.errors;
                count("error");
            }
        }
    }
}

Task<bool> Reconciler::requeue(QueuedJob job, std::int64_t installation_id, Instant deadline,
                               InstanceIds launched_before) {
    JobMessage message;
    message.job_id = job.job_id;
    message.run_id = job.run_id;
    message.owner = job.owner;
    message.repo = job.repo;
    message.labels = job.labels;
    message.installation_id = installation_id;
    const auto previous = requeues_.find(job.job_id);
    message.attempt = (previous == requeues_.end() ? 0 : previous->second.attempts) + 1;
    const std::string body = message.to_json();
    Status sent = co_await with_retries<Done>(rt_, aws_retry_rules(config_), deadline,
                                              [&] { return queue_.send(body, Duration{0}); });
    if (!sent)
        co_return false;
    requeues_[job.job_id] = Requeued{message.attempt, rt_.now(), std::move(launched_before)};
    // If the note fails the message is still on its way; the next run may send a duplicate,
    // which the consumer serves once. Noting first would risk a job marked in flight with no
    // message at all.
    const std::int64_t job_id = job.job_id;
    const Instant at = rt_.now();
    (void)co_await with_retries<Done>(rt_, aws_retry_rules(config_), deadline,
                                      [&] { return ledger_.note_enqueued(job_id, at); });
    SCALEUP_PROBE(rt_, reconciler_requeued);
    if (rt_.tracing()) {
        rt_.tracef("reconciler", "requeue", FMT_COMPILE("job={} owner={} repo={} attempt={}"),
                   job.job_id, job.owner, job.repo, message.attempt);
    }
    co_return true;
}

void Reconciler::prune_attempts(const std::set<std::int64_t>& queued) {
    std::erase_if(requeues_, [&](const auto& entry) { return queued.count(entry.first) == 0; });
}

void Reconciler::count(const char* result) {
    metrics_.increment(kJobsMetric, {{"result", result}});
}

}  // namespace scaleup
