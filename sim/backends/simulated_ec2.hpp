// SimulatedEc2: EC2 as the control plane uses it (CreateFleet `instant`, DescribeInstances,
// TerminateInstances, CreateTags), plus the instances it launches and the runner agent on them.
//
// Fault model (what it can do wrong, and the knob):
// - Capacity: `pools` (instance type x zone, each with a number of instances it can hold at once).
//   A request is spread over the pools in order. Partial fulfilment is a success with fewer ids
//   and one `Errors` entry per pool that fell short (its `shortfall_code`), so the error count is
//   not the missing count. `capacity_outages` set a pool's (or every pool's) capacity to 0 during
//   a window (an ICE window).
// - Throttling: CreateFleet draws on the RunInstances request bucket (`create_bucket`, 5 tokens,
//   2/s, as quoted in upstream PR #5253); DescribeInstances on `describe_bucket`; terminate and
//   tags on `mutating_bucket`. Empty bucket: ErrorKind::throttled "RequestLimitExceeded", and the
//   call did nothing.
// - `lost_response_rate`: CreateFleet launches, then the response is lost: ErrorKind::
//   unknown_outcome. A retry with the same ClientToken (within `client_token_ttl`) returns the
//   first result and launches nothing; a new token launches again.
// - `unreadable_reply_rate`: CreateFleet launches, then the client cannot read the reply and
//   throws (std::runtime_error) instead of returning an error: a defect outside the error model,
//   the kind that made upstream acknowledge a whole batch. The core must keep every message it has
//   not durably handled; the instances carry their reservation's tag like any other.
// - `describe_unavailable_rate` / `unavailable_windows`: 503 "Unavailable" ("The service is
//   unavailable. Please try again shortly.") on DescribeInstances, or on every call inside a
//   window (CreateFleet then launches nothing). Upstream #5105 lost 93 % of its jobs to this.
// - Instances: boot takes `boot_time` (or `boot_time.min + exponential(boot_time_mean)`);
//   `boot_failure_rate` instances reach `running` but never start their agent (orphans until
//   someone terminates them); `spot_interruption_rate` spot instances are terminated by EC2 at a
//   time drawn from `spot_interruption_after` after boot, losing their runner.
// - The agent (simulated_ec2_agent.cpp) polls its config every `config_poll_interval`, gives up
//   and terminates its instance after `config_wait_limit`, registers (retrying), takes one job,
//   runs it, and terminates its instance (ephemeral).
// Request errors as EC2 gives them: a negative count, a ClientToken over 64 characters, a reused
// token with other parameters (IdempotentParameterMismatch), an unknown id in TerminateInstances
// (the whole call fails; terminated instances stay known, so terminating again succeeds).
// Stricter than EC2: a count of 0 is an error too. Not modelled: DescribeInstances' own lag (a new
// instance is listed at once), and the agent's self-termination is not an API call.
// The core must tolerate partial fleets, throttling, unknown outcomes (ClientToken), an unavailable
// DescribeInstances, instances that never configure, and runners that vanish.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/lookup_table.hpp"
#include "core/ports/fleet.hpp"
#include "core/runtime/runtime.hpp"
#include "sim/backends/runner_service.hpp"
#include "sim/backends/sim_common.hpp"
#include "sim/backends/token_bucket.hpp"

namespace scaleup::sim {

/// Who ended an instance's life.
enum class TerminatedBy { none, self, consumer, scale_down, spot };
const char* to_string(TerminatedBy by);

/// One launch-template override: an instance type in a zone, with its spare capacity.
struct CapacityPool {
    std::string instance_type = "m5.large";
    std::string zone = "us-east-1a";
    int capacity = 1000;  // instances this pool can hold at once (terminated ones free theirs)
    bool spot = true;     // spot instances can be interrupted
    std::string shortfall_code = "InsufficientInstanceCapacity";  // or UnfulfillableCapacity
};

/// A window during which one pool (or every pool, when `pool` is empty) has no capacity.
struct CapacityOutage {
    std::optional<std::size_t> pool;
    FaultWindow window;
};

/// Everything a checker may want to know about one instance, in simulated time.
struct InstanceRecord {
    Identifier id;
    std::size_t pool = 0;
    InstanceState state = InstanceState::pending;
    std::shared_ptr<const InstanceTags> tags;  // shared by a launch's instances and its describes
    Instant launched_at{};
    std::optional<Instant> booted_at;  // reached `running`
    bool boot_failed = false;          // running, but its agent never started
    std::optional<Instant> config_found_at;
    std::optional<Instant> registered_at;
    std::int64_t runner_id = 0;  // 0: never registered
    int registration_failures = 0;
    std::int64_t job_id = 0;  // 0: took no job
    std::optional<Instant> job_started_at;
    std::optional<Instant> job_finished_at;
    bool runner_lost = false;               // runner_lost() was called for it
    std::optional<Instant> terminating_at;  // shutting-down from here
    std::optional<Instant> terminated_at;
    TerminatedBy terminated_by = TerminatedBy::none;
    bool live() const { return state == InstanceState::pending || state == InstanceState::running; }
};

/// The number of live (pending or running) instances from `at` on.
struct LiveSample {
    Instant at{};
    int live = 0;
};

class SimulatedEc2 final : public FleetPort {
  public:
    struct Options {
        std::vector<CapacityPool> pools{CapacityPool{}};
        std::vector<CapacityOutage> capacity_outages;
        TokenBucketOptions create_bucket{5, 2};
        TokenBucketOptions describe_bucket{100, 20};
        TokenBucketOptions mutating_bucket{100, 20};
        LatencyRange create_latency{milliseconds(300), milliseconds(1500)};
        LatencyRange call_latency{milliseconds(30), milliseconds(200)};
        Duration client_token_ttl = hours(1);
        Ratio lost_response_rate = Ratio::never();
        Ratio unreadable_reply_rate = Ratio::never();
        Ratio describe_unavailable_rate = Ratio::never();
        std::vector<FaultWindow> unavailable_windows;

        // Instances.
        LatencyRange boot_time{seconds(30), seconds(90)};
        Duration boot_time_mean{0};  // > 0: boot_time.min + exponential(mean) instead
        Ratio boot_failure_rate = Ratio::never();
        Ratio spot_interruption_rate = Ratio::never();
        LatencyRange spot_interruption_after{minutes(1), minutes(30)};
        LatencyRange shutdown_time{seconds(5), seconds(30)};

        // The runner agent (start-runner.sh).
        Duration config_poll_interval = seconds(1);
        Duration config_wait_limit = minutes(10);
        int registration_attempts = 3;
        Duration registration_retry_delay = seconds(5);
        Duration job_wait_slice = minutes(10);  // one wait_for_job call; the agent waits again
        Duration cleanup_delay = seconds(10);   // the exit trap's sleep before self-termination
    };

    SimulatedEc2(Runtime& rt, Options options, ConfigReader& config, RunnerService& runners);
    ~SimulatedEc2() override;
    SimulatedEc2(const SimulatedEc2&) = delete;
    SimulatedEc2& operator=(const SimulatedEc2&) = delete;

    // FleetPort, called by the consumer: its terminations count as TerminatedBy::consumer.
    Task<Result<LaunchResult>> create_fleet(LaunchRequest request) override;
    Task<Result<std::vector<InstanceInfo>>> describe_instances(InstanceTags tags) override;
    Task<Status> terminate_instances(std::vector<std::string> instance_ids) override;
    Task<Status> tag_instance(std::string instance_id, std::string key, std::string value) override;

    /// The same EC2 for another caller (scale-down): terminations are recorded as `caller`.
    FleetPort& port_for(TerminatedBy caller);

    // ---- observability for checkers ----------------------------------------------------------
    /// Every instance ever launched, in launch order (which is also the order of their ids).
    const std::deque<InstanceRecord>& instances() const { return instances_; }
    /// The instance with this id, or nullptr if EC2 never launched it.
    const InstanceRecord* find(std::string_view instance_id) const;
    int live_instances() const { return live_; }
    int max_live_instances() const { return max_live_; }
    /// Every change of the live count, in order.
    const std::vector<LiveSample>& live_history() const { return live_history_; }
    int create_fleet_calls() const { return create_calls_; }
    int throttled_calls() const { return throttled_calls_; }
    int lost_responses() const { return lost_responses_; }
    /// ClientTokens remembered now (those of the last `client_token_ttl`, and not yet forgotten).
    std::size_t remembered_tokens() const { return launches_by_token_.size(); }
    int unreadable_replies() const { return unreadable_replies_; }
    const Options& options() const { return options_; }

    // ---- scenario controls -------------------------------------------------------------------
    /// Terminates an instance as EC2 would for a spot interruption (at once, runner lost).
    void interrupt_spot_instance(std::string_view instance_id);
    /// Fault knobs a scenario may turn between events.
    /// The drain's heal: lost and unreadable responses, DescribeInstances 503s, boot failures and
    /// spot interruptions stop.
    void heal_rate_faults() {
        options_.lost_response_rate = options_.unreadable_reply_rate =
            options_.describe_unavailable_rate = options_.boot_failure_rate =
                options_.spot_interruption_rate = Ratio::never();
    }
    void set_lost_response_rate(Ratio rate) { options_.lost_response_rate = rate; }
    void set_unreadable_reply_rate(Ratio rate) { options_.unreadable_reply_rate = rate; }
    void set_describe_unavailable_rate(Ratio rate) { options_.describe_unavailable_rate = rate; }
    void set_pool_capacity(std::size_t pool, int capacity) {
        options_.pools.at(pool).capacity = capacity;
    }

    /// Terminate on behalf of `caller` (the FleetPort views call this).
    Task<Status> terminate_as(TerminatedBy caller, std::vector<std::string> instance_ids);

  private:
    struct RememberedLaunch {
        Instant at{};
        int count = 0;
        std::shared_ptr<const InstanceTags> tags;  // the launched instances' own tags
        LaunchResult result;
    };
    class CallerPort;

    // simulated_ec2.cpp: the API.
    std::optional<ServiceError> unavailable(const char* operation);
    std::optional<ServiceError> throttled(TokenBucket& bucket, const char* operation);
    std::optional<ServiceError> validate(const LaunchRequest& request);
    std::optional<Result<LaunchResult>> replay(const LaunchRequest& request);
    void remember_launch(const LaunchRequest& request, std::shared_ptr<const InstanceTags> tags,
                         const LaunchResult& result);
    LaunchResult launch(const LaunchRequest& request,
                        const std::shared_ptr<const InstanceTags>& tags);
    int pool_capacity_now(std::size_t pool) const;

    // simulated_ec2_instances.cpp: lifecycle and bookkeeping.
    std::string start_instance(std::size_t pool, std::shared_ptr<const InstanceTags> tags);
    Duration draw_boot_time();
    Task<void> run_instance(Identifier id);
    Task<void> run_spot_interruption(Identifier id);
    Task<void> finish_shutdown(Identifier id, Duration after);
    void begin_termination(InstanceRecord& instance, TerminatedBy by);
    void count_live(int delta);
    /// Where an id minted by start_instance sits in instances_; nullopt for any other text.
    std::optional<std::size_t> index_of(std::string_view id) const;
    /// index_of for an id this EC2 minted; throws std::out_of_range for any other text.
    std::size_t known_index(std::string_view id) const;
    /// The record of an instance this EC2 launched; throws std::out_of_range for any other id.
    InstanceRecord& record(std::string_view id);
    CancellationToken token(std::string_view id);

    // simulated_ec2_agent.cpp: the runner agent.
    Task<void> run_agent(Identifier id);
    Task<std::optional<std::string>> await_config(Identifier id);
    Task<std::optional<std::int64_t>> register_runner(Identifier id, std::string config);
    Task<void> take_and_run_job(Identifier id);
    void terminate_self(const Identifier& id, const char* reason);

    Runtime& rt_;
    Options options_;
    ConfigReader& config_;
    RunnerService& runners_;
    Random random_;
    TokenBucket create_bucket_;
    TokenBucket describe_bucket_;
    TokenBucket mutating_bucket_;
    // An instance's id is "i-" and its launch number in 17 hex digits, so its record is found by
    // position: a day launches tens of thousands, and a map by id paid a string compare per level.
    std::deque<InstanceRecord> instances_;
    std::deque<CancellationSource> lifecycles_;  // one per instance, same positions
    std::set<std::size_t> live_positions_;       // positions of pending or running instances
    std::vector<int> pool_in_use_;
    LookupTable<std::string, RememberedLaunch> launches_by_token_;
    struct RememberedToken {
        Instant at{};
        std::string token;
    };
    std::deque<RememberedToken> remembered_tokens_;  // in the order remembered: the oldest go first
    std::vector<LiveSample> live_history_;
    std::map<TerminatedBy, std::unique_ptr<CallerPort>> caller_ports_;
    std::uint64_t next_instance_ = 0;
    int live_ = 0;
    int max_live_ = 0;
    int create_calls_ = 0;
    int throttled_calls_ = 0;
    int lost_responses_ = 0;
    int unreadable_replies_ = 0;
};

}  // namespace scaleup::sim
