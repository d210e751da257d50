// World: one simulated deployment of scaleup, assembled from one seed and one options struct.
//
// The simulated services (SQS, GitHub, EC2 with its runner agents, SSM, Postgres) run on the true
// simulated clock. The control plane (intake, outbox relay, the Lambda-style consumers and their
// batch handler, reconciler, delivery sweeper, scale-down) runs the production core on a view of
// that clock skewed by `core_clock_skew`. The workload queues jobs in GitHub; GitHub sends
// webhooks to intake; the rest is the system under test.
//
// A run has two phases. The first, `run_for`, has the workload and the faults. The second, `drain`,
// has neither: arrivals stop, rate faults are healed and fault windows are over. Then the checkers
// read the services' records.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/common/capacity_pressure.hpp"
#include "core/config/scale_up_config.hpp"
#include "core/consumer/batch_handler.hpp"
#include "core/github/github_client.hpp"
#include "core/github/installation_token_cache.hpp"
#include "core/intake/outbox_relay.hpp"
#include "core/intake/webhook_intake.hpp"
#include "core/metrics/metrics.hpp"
#include "core/reconcile/delivery_sweeper.hpp"
#include "core/reconcile/reconciler.hpp"
#include "core/reconcile/scale_down.hpp"
#include "sim/backends/simulated_consumers.hpp"
#include "sim/backends/simulated_ec2.hpp"
#include "sim/backends/simulated_github.hpp"
#include "sim/backends/simulated_postgres.hpp"
#include "sim/backends/simulated_sqs.hpp"
#include "sim/backends/simulated_ssm.hpp"
#include "sim/runtime/simulated_runtime.hpp"
#include "sim/world/skewed_runtime.hpp"
#include "sim/world/workload.hpp"

namespace scaleup::sim {

/// A change the scenario makes at an instant: suspend an installation, cancel a share of queued
/// jobs, turn a rate fault on or off. Applied by the world's timeline task.
struct TimedAction {
    Duration at{};
    std::string description;  // for the trace
    std::function<void(class World&)> apply;
};

struct WorldOptions {
    std::uint64_t seed = 1;
    Duration run_for = hours(1);
    Duration drain = minutes(30);
    Duration core_clock_skew{0};
    ScaleUpConfig config;
    WorkloadOptions workload;
    SimulatedSqs::Options sqs;
    SimulatedConsumers::Options consumers;
    SimulatedGitHubOptions github;
    SimulatedEc2::Options ec2;
    SimulatedSsm::Options ssm;
    SimulatedPostgres::Options postgres;
    Duration relay_interval = seconds(5);
    Duration reconcile_interval = minutes(2);
    Duration sweep_interval = minutes(5);
    Duration scale_down_interval = minutes(1);
    std::vector<TimedAction> timeline;
    /// Called at the start of the drain: turns every rate fault off (the world heals).
    bool heal_rate_faults_at_drain = true;
    /// For tests only: wraps the ledger the consumers' batch handler uses (a test plants a
    /// fault-handling bug in a port without touching the core). Given the simulated Postgres,
    /// returns the port the handler uses; the world owns it. Unset: Postgres itself.
    std::function<std::unique_ptr<LedgerPort>(LedgerPort&)> wrap_handler_ledger;
};

class World {
  public:
    World(WorldOptions options, TraceRecorder* trace);
    ~World();
    World(const World&) = delete;
    World& operator=(const World&) = delete;

    /// Runs both phases to the end.
    void run();

    /// Every option the seed decides or the run depends on, "key=value", for printing first.
    std::vector<std::string> describe() const;

    const WorldOptions& options() const { return options_; }
    Instant started_at() const { return started_at_; }
    Instant drain_starts_at() const { return started_at_ + options_.run_for; }
    Instant ends_at() const { return drain_starts_at() + options_.drain; }
    const std::vector<PlannedJob>& planned_jobs() const { return planned_; }
    /// Job id GitHub assigned to each planned job, by planned index (0 until it arrived).
    const std::vector<std::int64_t>& job_ids() const { return job_ids_; }

    SimulatedRuntime& runtime() { return rt_; }
    const SimulatedRuntime& runtime() const { return rt_; }
    SimulatedSqs& sqs() { return sqs_; }
    const SimulatedSqs& sqs() const { return sqs_; }
    SimulatedGitHub& github() { return github_; }
    const SimulatedGitHub& github() const { return github_; }
    SimulatedEc2& ec2() { return ec2_; }
    const SimulatedEc2& ec2() const { return ec2_; }
    const SimulatedSsm& ssm() const { return ssm_; }
    SimulatedPostgres& postgres() { return postgres_; }
    const SimulatedPostgres& postgres() const { return postgres_; }
    const SimulatedConsumers& consumers() const { return consumers_; }
    const MetricsRegistry& metrics() const { return metrics_; }
    const std::map<std::size_t, std::int64_t>& installations() const { return installations_; }
    /// Deliveries GitHub handed to intake (each must end with exactly one intake outcome).
    std::uint64_t intake_calls() const { return intake_calls_; }
    /// Replaces what GitHub's deliveries reach (tests craft broken intakes with it).
    void set_intake(SimulatedGitHub::Intake intake);
    WebhookIntake& intake() { return intake_; }

  private:
    Task<void> drive_workload();
    Task<void> cancel_later(std::size_t planned_index, Duration after);
    Task<void> drive_timeline();
    Task<void> heal_at_drain();
    void start_control_plane();

    WorldOptions options_;
    SimulatedRuntime rt_;
    SkewedRuntime core_rt_;
    Instant started_at_;
    MetricsRegistry metrics_;
    std::vector<PlannedJob> planned_;
    std::vector<std::int64_t> job_ids_;
    std::map<std::size_t, std::int64_t> installations_;  // workload owner index -> installation
    std::uint64_t intake_calls_ = 0;

    // The simulated services.
    SimulatedSqs sqs_;
    SimulatedGitHub github_;
    SimulatedSsm ssm_;
    SimulatedPostgres postgres_;
    SimulatedEc2 ec2_;
    std::unique_ptr<LedgerPort> handler_ledger_;  // WorldOptions::wrap_handler_ledger

    // The control plane: the production core.
    CapacityPressure capacity_pressure_;  // the consumers' deferrals hurry scale-down
    InstallationTokenCache tokens_;
    GitHubClient github_client_;
    BatchHandler handler_;
    WebhookIntake intake_;
    OutboxRelay relay_;
    DeliverySweeper sweeper_;
    Reconciler reconciler_;
    ScaleDown scale_down_;
    SimulatedConsumers consumers_;
    CancellationSource stop_;
};

}  // namespace scaleup::sim
