#include "sim/world/world.hpp"

#include <fmt/format.h>

namespace scaleup::sim {

namespace {
// The control plane's config must agree with the world it runs in: the webhook secret GitHub signs
// with, and the owners the reconciler watches.
ScaleUpConfig world_config(const WorldOptions& options) {
    ScaleUpConfig config = options.config;
    if (config.webhook_secret.empty())
        config.webhook_secret = options.github.webhook_secret;
    config.app_id = options.github.app_id;
    if (config.reconcile_owners.empty()) {
        for (const auto& owner : options.workload.owners) {
            if (config.org_runners) {
                config.reconcile_owners.push_back(owner.name);
            } else {
                for (const auto& repo : owner.repos)
                    config.reconcile_owners.push_back(owner.name + "/" + repo);
            }
        }
    }
    return config;
}

SimulatedSqs::Options queue_options(const WorldOptions& options) {
    SimulatedSqs::Options sqs = options.sqs;
    sqs.visibility_timeout = options.config.visibility_timeout;
    return sqs;
}

SimulatedConsumers::Options consumer_options(const WorldOptions& options) {
    SimulatedConsumers::Options consumers = options.consumers;
    consumers.batch_size = options.config.batch_size;
    consumers.function_timeout = options.config.handler_timeout;
    return consumers;
}
}  // namespace

World::World(WorldOptions options, TraceRecorder* trace)
    : options_([&] {
          options.config = world_config(options);
          return std::move(options);
      }()),
      rt_(options_.seed, trace),
      core_rt_(rt_, options_.core_clock_skew),
      started_at_(rt_.now()),
      // Each part draws from its own stream, forked in a fixed order from the seed: the workload
      // plan does not depend on which faults are on.
      planned_(plan_workload(options_.workload, rt_.random().fork())),
      job_ids_(planned_.size(), 0),
      sqs_(rt_, queue_options(options_)),
      github_(rt_, options_.github),
      ssm_(rt_, options_.ssm),
      postgres_(rt_, options_.postgres),
      ec2_(rt_, options_.ec2, ssm_, github_),
      handler_ledger_(options_.wrap_handler_ledger ? options_.wrap_handler_ledger(postgres_)
                                                   : nullptr),
      tokens_(core_rt_, github_, options_.config, metrics_),
      github_client_(core_rt_, github_, tokens_, options_.config, metrics_),
      handler_(
          core_rt_, options_.config,
          ConsumerPorts{sqs_, ec2_, ssm_,
                        handler_ledger_ ? *handler_ledger_ : static_cast<LedgerPort&>(postgres_)},
          tokens_, github_client_, metrics_),
      intake_(core_rt_, options_.config, postgres_, sqs_, metrics_),
      relay_(core_rt_, options_.config, postgres_, sqs_, metrics_),
      sweeper_(core_rt_, github_, tokens_, options_.config, metrics_),
      reconciler_(core_rt_, options_.config, github_, tokens_, sqs_, postgres_, metrics_),
      scale_down_(core_rt_, options_.config, github_, tokens_,
                  ec2_.port_for(TerminatedBy::scale_down), postgres_, metrics_),
      consumers_(core_rt_, sqs_, SimulatedConsumers::handler_for(handler_),
                 consumer_options(options_)) {
    for (std::size_t i = 0; i < options_.workload.owners.size(); ++i) {
        const auto& owner = options_.workload.owners[i];
        const auto type = owner.type == "User" ? AccountType::user : AccountType::organization;
        installations_[i] = github_.add_installation(owner.name, type);
    }
    handler_.report_deferrals_to(capacity_pressure_);
    scale_down_.hurry_on(capacity_pressure_);
    set_intake([this](WebhookDelivery delivery) { return intake_.handle(std::move(delivery)); });
}

World::~World() {
    // Tear the tasks down while every component they use still exists.
    core_rt_.shutdown();
    rt_.shutdown();
}

std::vector<std::string> World::describe() const {
    const auto& o = options_;
    std::vector<std::string> out{
        fmt::format("seed={}", o.seed),
        fmt::format("run_for={}", format_duration(o.run_for)),
        fmt::format("drain={}", format_duration(o.drain)),
        fmt::format("core_clock_skew={}", format_duration(o.core_clock_skew)),
        fmt::format("jobs_planned={}", planned_.size()),
        fmt::format("owners={}", o.workload.owners.size()),
        fmt::format("jobs_per_hour={}", o.workload.jobs_per_hour),
        fmt::format("bursts={}", o.workload.bursts.size()),
        fmt::format("consumers={}", o.consumers.consumers),
        fmt::format("batch_size={}", o.config.batch_size),
        fmt::format("max_runners={}", o.config.max_runners),
        fmt::format("job_queued_check={}", o.config.job_queued_check),
        fmt::format("timeline_actions={}", o.timeline.size()),
    };
    for (const auto& action : o.timeline) {
        out.push_back(fmt::format("action@{}={}", format_duration(action.at), action.description));
    }
    return out;
}

void World::run() {
    if (rt_.tracing()) {
        for (const auto& option : describe())
            rt_.trace("world", "option", option);
    }
    rt_.spawn(drive_workload());
    rt_.spawn(drive_timeline());
    if (options_.heal_rate_faults_at_drain)
        rt_.spawn(heal_at_drain());
    start_control_plane();
    rt_.run_until(ends_at());
    stop_.cancel(core_rt_);
    consumers_.stop();
    if (rt_.tracing())
        rt_.tracef("world", "end", FMT_COMPILE("events={}"), rt_.events_processed());
}

void World::start_control_plane() {
    consumers_.start();
    core_rt_.spawn(relay_.run(stop_.token(), options_.relay_interval));
    core_rt_.spawn(reconciler_.run(stop_.token(), options_.reconcile_interval));
    core_rt_.spawn(sweeper_.run(stop_.token(), options_.sweep_interval));
    core_rt_.spawn(scale_down_.run(stop_.token(), options_.scale_down_interval));
}

Task<void> World::drive_workload() {
    for (const auto& job : planned_) {
        co_await rt_.sleep_until(started_at_ + job.arrives_at);
        const auto& owner = options_.workload.owners[job.owner];
        const auto id =
            github_.queue_job(owner.name, job.repo, options_.workload.label_sets[job.label_set],
                              job.duration, installations_.at(job.owner));
        job_ids_[job.index] = id;
        if (job.cancel_after)
            rt_.spawn(cancel_later(job.index, *job.cancel_after));
    }
}

Task<void> World::cancel_later(std::size_t planned_index, Duration after) {
    co_await rt_.sleep(after);
    const auto* job = github_.job(job_ids_[planned_index]);
    if (job != nullptr && job->status == JobStatus::queued) {
        if (rt_.tracing())
            rt_.tracef("world", "user_cancels", FMT_COMPILE("job={}"), job->id);
        github_.cancel_job(job->id);
    }
}

Task<void> World::drive_timeline() {
    auto actions = options_.timeline;
    std::stable_sort(actions.begin(), actions.end(),
                     [](const TimedAction& a, const TimedAction& b) { return a.at < b.at; });
    for (const auto& action : actions) {
        co_await rt_.sleep_until(started_at_ + action.at);
        if (rt_.tracing())
            rt_.trace("world", "action", action.description);
        action.apply(*this);
    }
}

Task<void> World::heal_at_drain() {
    co_await rt_.sleep_until(drain_starts_at());
    if (rt_.tracing())
        rt_.trace("world", "heal", "rate faults off; drain begins");
    // Every fault given as a "percent" (fault_catalog.hpp) stops; windows are over by now.
    github_.heal_rate_faults();
    ec2_.heal_rate_faults();
    sqs_.heal_rate_faults();
    ssm_.heal_rate_faults();
    postgres_.heal_rate_faults();
    consumers_.heal_rate_faults();
}

}  // namespace scaleup::sim

namespace scaleup::sim {

void World::set_intake(SimulatedGitHub::Intake intake) {
    github_.set_intake([this, intake = std::move(intake)](WebhookDelivery delivery) {
        ++intake_calls_;
        return intake(std::move(delivery));
    });
}

}  // namespace scaleup::sim
