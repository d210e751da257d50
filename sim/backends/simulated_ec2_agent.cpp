// The runner agent on a booted SimulatedEc2 instance: upstream's start-runner.sh with an ephemeral
// JIT runner. It polls the config store for its config every `config_poll_interval` (giving up
// and terminating its instance after `config_wait_limit`), registers with `run.sh --jitconfig`
// (retrying `registration_attempts` times, then terminating), waits for one job, runs it, and
// terminates its own instance after the exit trap's `cleanup_delay`.
//
// Every wait is cancelled when the instance is terminated by anyone; the agent then stops. Calls
// that are already in flight (a config read, a registration, a job wait) finish first, and their
// answer is dropped, except a registration that succeeded: that runner exists on GitHub with no
// machine behind it, so it is reported lost.
#include <fmt/format.h>

#include "sim/backends/simulated_ec2.hpp"

namespace scaleup::sim {

Task<void> SimulatedEc2::run_agent(Identifier id) {
    std::optional<std::string> config = co_await await_config(id);
    if (!config)
        co_return;
    std::optional<std::int64_t> runner = co_await register_runner(id, std::move(*config));
    if (!runner)
        co_return;
    co_await take_and_run_job(id);
}

Task<std::optional<std::string>> SimulatedEc2::await_config(Identifier id) {
    const CancellationToken cancel = token(id);
    const Instant give_up_at = rt_.now() + options_.config_wait_limit;
    for (;;) {
        Result<std::optional<std::string>> read = co_await config_.read_runner_config(id);
        if (cancel.cancelled())
            co_return std::nullopt;
        if (read.ok() && read.value()) {
            record(id).config_found_at = rt_.now();
            if (rt_.tracing())
                rt_.tracef("ec2", "config_found", FMT_COMPILE("instance={}"), id);
            co_return std::move(*read.value());
        }
        if (rt_.now() >= give_up_at) {
            terminate_self(id, "no_config");
            co_return std::nullopt;
        }
        if (!co_await sleep(rt_, options_.config_poll_interval, cancel))
            co_return std::nullopt;
    }
}

Task<std::optional<std::int64_t>> SimulatedEc2::register_runner(Identifier id, std::string config) {
    const CancellationToken cancel = token(id);
    for (int attempt = 1; attempt <= options_.registration_attempts; ++attempt) {
        Result<std::int64_t> registered = co_await runners_.register_jit_runner(config, id);
        InstanceRecord& instance = record(id);
        if (registered.ok()) {
            instance.runner_id = registered.value();
            if (cancel.cancelled()) {  // registered after the machine was gone
                instance.runner_lost = true;
                runners_.runner_lost(instance.runner_id);
                co_return std::nullopt;
            }
            instance.registered_at = rt_.now();
            if (rt_.tracing()) {
                rt_.tracef("ec2", "registered", FMT_COMPILE("instance={} runner={}"), id,
                           instance.runner_id);
            }
            co_return instance.runner_id;
        }
        if (cancel.cancelled())
            co_return std::nullopt;
        ++instance.registration_failures;
        if (rt_.tracing()) {
            rt_.tracef("ec2", "registration_failed", FMT_COMPILE("instance={} attempt={} code={}"),
                       id, attempt, registered.error().code);
        }
        if (attempt < options_.registration_attempts &&
            !co_await sleep(rt_, options_.registration_retry_delay, cancel)) {
            co_return std::nullopt;
        }
    }
    terminate_self(id, "registration_failed");
    co_return std::nullopt;
}

Task<void> SimulatedEc2::take_and_run_job(Identifier id) {
    const CancellationToken cancel = token(id);
    const std::int64_t runner_id = record(id).runner_id;
    std::optional<AssignedJob> job;
    while (!job) {
        const Instant asked_at = rt_.now();
        job = co_await runners_.wait_for_job(runner_id, options_.job_wait_slice);
        if (cancel.cancelled())
            co_return;  // the termination reported the runner lost
        // A service that answers "no job" at once must not spin the agent at one instant.
        if (!job && rt_.now() == asked_at &&
            !co_await sleep(rt_, options_.config_poll_interval, cancel)) {
            co_return;
        }
    }
    InstanceRecord& instance = record(id);
    instance.job_id = job->job_id;
    instance.job_started_at = rt_.now();
    if (rt_.tracing()) {
        rt_.tracef("ec2", "job_started", FMT_COMPILE("instance={} runner={} job={} duration={}"),
                   id, runner_id, job->job_id, format_duration(job->duration));
    }
    if (!co_await sleep(rt_, job->duration, cancel))
        co_return;  // interrupted mid-job: the termination reported the runner lost
    record(id).job_finished_at = rt_.now();
    runners_.job_finished(runner_id, job->job_id);
    if (rt_.tracing()) {
        rt_.tracef("ec2", "job_finished", FMT_COMPILE("instance={} runner={} job={}"), id,
                   runner_id, job->job_id);
    }
    if (co_await sleep(rt_, options_.cleanup_delay, cancel))
        terminate_self(id, "job_done");
}

void SimulatedEc2::terminate_self(const Identifier& id, const char* reason) {
    if (rt_.tracing())
        rt_.tracef("ec2", "self_terminate", FMT_COMPILE("instance={} reason={}"), id, reason);
    begin_termination(record(id), TerminatedBy::self);
}

}  // namespace scaleup::sim
