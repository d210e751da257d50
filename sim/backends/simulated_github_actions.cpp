// SimulatedGitHub, Actions side: jobs (queued -> in_progress -> completed), JIT runners, and how
// GitHub hands queued jobs to runners (service-semantics.md 1.6, 1.7).
//
// Jobs are not bound to runners: a runner that waits for work gets the oldest queued job whose
// labels it has, whatever job it was created "for"; a job queued while runners wait goes to the
// runner that has waited longest. Every state change sends a webhook.
#include <algorithm>
#include <charconv>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "core/common/format_text.hpp"
#include "core/consumer/job_message.hpp"
#include "sim/backends/simulated_github.hpp"

namespace scaleup::sim {

namespace {
constexpr std::int64_t kFirstRunId = 21'400'000'001;

ServiceError not_found() {
    return github_error(ErrorKind::not_found, "404", "Not Found");
}
bool owns(const RunnerOwner& owner, const std::string& job_owner, const std::string& job_repo) {
    return owner.owner == job_owner && (owner.repo.empty() || owner.repo == job_repo);
}

/// A runner name as GitHub keeps it unique: within its owner (an owner's key has no newline).
std::string active_name_key(const RunnerOwner& owner, std::string_view name) {
    std::string key = owner.key();
    key += '\n';
    key += name;
    return key;
}

constexpr std::string_view kJitConfigPrefix = "jitconfig-";

/// The runner id a config this GitHub issued names ("jitconfig-<id>-<random hex>"), or 0. The
/// caller still compares the whole text with the runner's: the id only says where to look.
std::int64_t runner_id_named_by(std::string_view encoded_jit_config) {
    if (!encoded_jit_config.starts_with(kJitConfigPrefix))
        return 0;
    const std::string_view rest = encoded_jit_config.substr(kJitConfigPrefix.size());
    std::int64_t id = 0;
    const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), id);
    return error == std::errc{} && end != rest.data() + rest.size() && *end == '-' ? id : 0;
}
}  // namespace

const SimulatedGitHub::JobRecord* SimulatedGitHub::job(std::int64_t job_id) const {
    return jobs_.find(job_id);
}

const SimulatedGitHub::RunnerRecord* SimulatedGitHub::runner(std::int64_t runner_id) const {
    return runners_.find(runner_id);
}

// ---- jobs ---------------------------------------------------------------------------------------

std::int64_t SimulatedGitHub::queue_job(std::string owner, std::string repo,
                                        std::vector<std::string> labels, Duration duration,
                                        std::int64_t installation_id) {
    const auto n = static_cast<std::int64_t>(jobs_.size());
    const std::int64_t id = jobs_.next_id();
    JobRecord& job = jobs_.add();
    job.id = id;
    job.run_id = kFirstRunId + n;
    job.owner = std::move(owner);
    job.repo = std::move(repo);
    job.labels = std::move(labels);
    job.label_set = normalise_labels(job.labels);
    job.duration = duration;
    job.installation_id = installation_id;
    job.queued_at = rt_.now();
    queued_.emplace(job.id, &job);
    queued_by_owner_[job.owner].emplace(job.id, &job);
    watch_queue_timeouts();
    if (rt_.tracing()) {
        tracef("job_queued", FMT_COMPILE("job={} owner={} repo={} labels={}"), job.id, job.owner,
               job.repo, fmt::join(job.labels, ","));
    }
    emit(job, "queued");
    offer_to_waiting_runners(job);
    return job.id;
}

void SimulatedGitHub::cancel_job(std::int64_t job_id) {
    JobRecord& job = jobs_.at(job_id);
    // A running job's runner keeps working until its agent reports the end (job_finished).
    complete_job(job, "cancelled");
}

void SimulatedGitHub::leave_queue(std::int64_t job_id) {
    const auto queued = queued_.find(job_id);
    if (queued == queued_.end())
        return;
    const auto owner = queued_by_owner_.find(queued->second->owner);
    owner->second.erase(job_id);
    if (owner->second.empty())
        queued_by_owner_.erase(owner);
    queued_.erase(queued);
}

const std::map<std::int64_t, SimulatedGitHub::JobRecord*>* SimulatedGitHub::queued_for(
    std::string_view owner) const {
    const auto found = queued_by_owner_.find(owner);
    return found == queued_by_owner_.end() ? nullptr : &found->second;
}

// GitHub cancels a job nobody took within the queue timeout (24 h). Jobs join the queue in id order
// as time goes on, so the oldest queued job is always the next to time out: one task sleeps until
// its deadline, cancels every job past it, and sleeps again; it ends with the queue empty, and the
// next job queued starts it again. A job that leaves the queue first just moves the deadline on.
// (A task and a cancellable timer per job were two events and five allocations a job.)
void SimulatedGitHub::watch_queue_timeouts() {
    if (queue_watch_running_)
        return;
    queue_watch_running_ = true;
    rt_.spawn(expire_queued_jobs());
}

Task<void> SimulatedGitHub::expire_queued_jobs() {
    while (!queued_.empty()) {
        JobRecord& oldest = *queued_.begin()->second;
        const Instant due = oldest.queued_at + options_.queue_timeout;
        if (rt_.now() < due) {
            co_await rt_.sleep_until(due);
            continue;
        }
        oldest.expired_in_queue = true;
        complete_job(oldest, "cancelled");  // out of the queue
    }
    queue_watch_running_ = false;
}

void SimulatedGitHub::start_job(JobRecord& job, RunnerRecord& runner) {
    leave_queue(job.id);
    job.status = JobStatus::in_progress;
    job.started_at = rt_.now();
    job.runner_id = runner.id;
    runner.busy = true;
    runner.job_id = job.id;
    if (rt_.tracing())
        tracef("job_started", FMT_COMPILE("job={} runner={}"), job.id, runner.id);
    emit(job, "in_progress");
}

void SimulatedGitHub::complete_job(JobRecord& job, const char* conclusion) {
    if (job.status == JobStatus::completed)
        return;
    leave_queue(job.id);
    job.status = JobStatus::completed;
    job.conclusion = conclusion;
    job.completed_at = rt_.now();
    if (rt_.tracing()) {
        tracef("job_completed", FMT_COMPILE("job={} conclusion={} runner={}"), job.id, conclusion,
               job.runner_id);
    }
    emit(job, "completed");
}

// ---- assignment ---------------------------------------------------------------------------------

// An idle online runner of the job's owner whose labels include every label of the job (GitHub
// compares labels case-insensitively).
bool SimulatedGitHub::runner_takes(const RunnerRecord& runner, const JobRecord& job) const {
    if (runner.deleted || !runner.online || runner.busy || !owns(runner.owner, job.owner, job.repo))
        return false;
    return std::includes(runner.label_set.begin(), runner.label_set.end(), job.label_set.begin(),
                         job.label_set.end());
}

SimulatedGitHub::JobRecord* SimulatedGitHub::oldest_job_for(const RunnerRecord& runner) {
    const auto* queued = queued_for(runner.owner.owner);
    if (queued == nullptr)
        return nullptr;
    for (const auto& [id, job] : *queued) {
        if (runner_takes(runner, *job))
            return job;
    }
    return nullptr;
}

void SimulatedGitHub::offer_to_waiting_runners(JobRecord& job) {
    for (const std::int64_t runner_id : waiting_) {
        RunnerRecord& runner = runners_.at(runner_id);
        if (runner_takes(runner, job)) {
            start_job(job, runner);
            wake(runner_id, job.id);
            return;
        }
    }
}

void SimulatedGitHub::wake(std::int64_t runner_id, std::int64_t job_id) {
    const auto it = waits_.find(runner_id);
    if (it == waits_.end())
        return;
    JobWait* wait = it->second;
    waits_.erase(it);
    std::erase(waiting_, runner_id);
    wait->woken = true;
    wait->job_id = job_id;
    rt_.cancel_timer(wait->timer);
    rt_.schedule(rt_.now(), wait->handle);
}

// ---- RunnerService: the runner agent's side
// -------------------------------------------------------

Task<Result<std::int64_t>> SimulatedGitHub::register_jit_runner(std::string encoded_jit_config,
                                                                Identifier instance_id) {
    co_await rt_.sleep(options_.latency.draw(random_));
    if (any_active(options_.outages, rt_.now()))
        co_return github_error(ErrorKind::transient, "503", "Service Unavailable");
    // The config names its runner, as GitHub's encodes the runner's credentials: a day issues
    // 50,000 of them, and an index of their texts grew all day for one lookup each.
    RunnerRecord* const named = runners_.find(runner_id_named_by(encoded_jit_config));
    if (named == nullptr || named->encoded_jit_config != encoded_jit_config)
        co_return github_error(ErrorKind::invalid, "400", "Invalid JIT configuration");
    RunnerRecord& runner = *named;
    if (runner.deleted)
        co_return not_found();
    if (runner.config_used) {
        co_return github_error(ErrorKind::conflict, "409",
                               "The JIT configuration has already been used");
    }
    runner.config_used = true;
    runner.online = true;
    runner.instance_id = std::move(instance_id);
    runner.registered_at = rt_.now();
    if (rt_.tracing()) {
        tracef("runner_online", FMT_COMPILE("runner={} name={} instance={}"), runner.id,
               runner.name, runner.instance_id);
    }
    co_return runner.id;
}

Task<std::optional<AssignedJob>> SimulatedGitHub::wait_for_job(std::int64_t runner_id,
                                                               Duration max_wait) {
    RunnerRecord* const found = runners_.find(runner_id);
    if (found == nullptr || waits_.contains(runner_id))
        co_return std::nullopt;
    RunnerRecord& runner = *found;
    if (runner.deleted || !runner.online || runner.busy)
        co_return std::nullopt;
    if (JobRecord* job = oldest_job_for(runner)) {
        start_job(*job, runner);
        co_return AssignedJob{job->id, job->duration};
    }
    JobWait wait;
    waits_[runner_id] = &wait;
    waiting_.push_back(runner_id);
    co_await JobWaitAwaiter{rt_, wait, rt_.now() + max_wait};
    if (!wait.woken) {  // the poll timed out
        waits_.erase(runner_id);
        std::erase(waiting_, runner_id);
        co_return std::nullopt;
    }
    if (wait.job_id == 0)
        co_return std::nullopt;
    const JobRecord& job = jobs_.at(wait.job_id);
    co_return AssignedJob{job.id, job.duration};
}

void SimulatedGitHub::job_finished(std::int64_t runner_id, std::int64_t job_id) {
    RunnerRecord& runner = runners_.at(runner_id);
    JobRecord* const job = jobs_.find(job_id);
    if (job != nullptr && job->runner_id == runner_id && job->status == JobStatus::in_progress) {
        complete_job(*job, "success");
    }
    // Ephemeral: one job, then GitHub removes the runner.
    runner.busy = false;
    runner.online = false;
    runner.deleted = true;
    forget_active(runner);
    if (rt_.tracing())
        tracef("runner_removed", FMT_COMPILE("runner={} reason=ephemeral_done"), runner_id);
}

void SimulatedGitHub::runner_lost(std::int64_t runner_id) {
    RunnerRecord& runner = runners_.at(runner_id);
    if (runner.deleted || !runner.online)
        return;
    runner.online = false;
    wake(runner_id, 0);
    if (rt_.tracing())
        tracef("runner_lost", FMT_COMPILE("runner={} job={}"), runner_id, runner.job_id);
    if (runner.busy) {
        runner.busy = false;
        JobRecord& job = jobs_.at(runner.job_id);
        if (job.status == JobStatus::in_progress)
            complete_job(job, "failure");
    }
}

// ---- API operations (token-authenticated; see the pipeline in simulated_github.cpp) ------------

Result<JobStatus> SimulatedGitHub::serve_job_status(std::int64_t installation_id,
                                                    const std::string& owner,
                                                    const std::string& repo,
                                                    std::int64_t job_id) const {
    const JobRecord* const found = jobs_.find(job_id);
    if (!covers(installation_id, owner, repo) || found == nullptr || found->owner != owner ||
        found->repo != repo) {
        return not_found();
    }
    const JobRecord& job = *found;
    if (job.status == JobStatus::completed && job.runner_id == 0)
        return JobStatus::completed_never_ran;  // what the API's null runner_id tells a client
    return job.status;
}

Result<JitConfig> SimulatedGitHub::serve_jit_config(std::int64_t installation_id,
                                                    const JitConfigRequest& request) {
    if (!covers(installation_id, request.owner.owner, request.owner.repo))
        return not_found();
    if (request.runner_group_id <= 0) {
        return github_error(ErrorKind::invalid, "422",
                            "Invalid input: object is missing required key: runner_group_id");
    }
    if (request.runner_group_id != 1)
        return not_found();  // only the default group exists
    if (request.runner_name.empty() || request.labels.empty() || request.labels.size() > 100) {
        return github_error(ErrorKind::invalid, "422",
                            "Invalid input: name and 1 to 100 labels are required");
    }
    if (!active_names_.insert(active_name_key(request.owner, request.runner_name))) {
        return github_error(
            ErrorKind::conflict, "409",
            fmt::format(FMT_COMPILE("Already exists - A runner with the name {} already exists."),
                        request.runner_name));
    }
    const std::int64_t id = runners_.next_id();
    RunnerRecord& runner = runners_.add();
    active_runners_[request.owner].insert(id);
    runner.id = id;
    runner.name = request.runner_name;
    runner.owner = request.owner;
    runner.labels = request.labels;
    runner.label_set = normalise_labels(runner.labels);
    runner.group_id = request.runner_group_id;
    runner.installation_id = installation_id;
    runner.created_at = rt_.now();
    runner.encoded_jit_config =
        format_text(FMT_COMPILE("jitconfig-{}-{:016x}"), runner.id, random_.next_u64());
    if (rt_.tracing()) {
        tracef("runner_created", FMT_COMPILE("runner={} name={} owner={}"), runner.id, runner.name,
               runner.owner.key());
    }
    return JitConfig{runner.id, runner.encoded_jit_config};
}

// The real listing is GET .../actions/runs?status=queued and one jobs request per run: each run
// costs one more request of the primary budget.
Result<std::vector<QueuedJob>> SimulatedGitHub::serve_queued_jobs(std::int64_t installation_id,
                                                                  const RunnerOwner& owner) {
    if (!covers(installation_id, owner.owner, owner.repo))
        return not_found();
    std::vector<QueuedJob> out;
    if (const auto* queued = queued_for(owner.owner)) {
        for (const auto& [id, record] : *queued) {
            const JobRecord& job = *record;
            if (owns(owner, job.owner, job.repo) && covers(installation_id, job.owner, job.repo)) {
                out.push_back(
                    QueuedJob{job.id, job.run_id, job.owner, job.repo, job.labels, job.queued_at});
            }
        }
    }
    rate_limits_.consume(installation_id, RateBucket::core, static_cast<std::int64_t>(out.size()),
                         rt_.now());
    return out;
}

void SimulatedGitHub::forget_active(const RunnerRecord& runner) {
    active_runners_[runner.owner].erase(runner.id);
    active_names_.erase(active_name_key(runner.owner, runner.name));
}

Result<std::vector<RunnerInfo>> SimulatedGitHub::serve_list_runners(
    std::int64_t installation_id, const RunnerOwner& owner) const {
    if (!covers(installation_id, owner.owner, owner.repo))
        return not_found();
    std::vector<RunnerInfo> out;
    const auto active = active_runners_.find(owner);
    if (active == active_runners_.end())
        return out;
    out.reserve(active->second.size());
    for (const auto id : active->second) {
        const RunnerRecord& runner = runners_.at(id);
        out.push_back(RunnerInfo{id, runner.name, runner.online, runner.busy});
    }
    return out;
}

Status SimulatedGitHub::serve_delete_runner(std::int64_t installation_id, const RunnerOwner& owner,
                                            std::int64_t runner_id) {
    RunnerRecord* const found = runners_.find(runner_id);
    if (!covers(installation_id, owner.owner, owner.repo) || found == nullptr || found->deleted ||
        found->owner != owner) {
        return not_found();
    }
    RunnerRecord& runner = *found;
    if (runner.busy) {
        return github_error(
            ErrorKind::invalid, "422",
            fmt::format(FMT_COMPILE("Bad request - Runner \"{}\" is still running a job\""),
                        runner.name));
    }
    runner.deleted = true;
    forget_active(runner);
    runner.online = false;
    wake(runner_id, 0);
    if (rt_.tracing())
        tracef("runner_removed", FMT_COMPILE("runner={} reason=deleted"), runner_id);
    return ok_status();
}

}  // namespace scaleup::sim
