// SimulatedEc2: CreateFleet `instant` (partial fulfilment, throttling, ClientToken, lost
// responses, ICE windows), DescribeInstances Unavailable, terminate semantics, and the instance
// lifecycle with its runner agent, against small fakes of GitHub's runner service and the config
// store.
#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/backends/simulated_ec2.hpp"
#include "sim/backends/simulated_ssm.hpp"
#include "sim/runtime/determinism_check.hpp"
#include "sim/runtime/simulated_runtime.hpp"

using namespace scaleup;
using namespace scaleup::sim;

// The file's own namespace: in a unity build (scripts/test) its helpers share a translation unit
// with other test files'.
namespace simulated_ec2_test {

namespace {

constexpr Instant t0 = kSimulationEpoch;

/// The instance's view of SSM: a map of configs, readable after `latency`.
class FakeConfigReader final : public ConfigReader {
  public:
    explicit FakeConfigReader(Runtime& rt) : rt_(rt) {}
    Duration latency = milliseconds(20);
    std::map<std::string, std::string> configs;
    int reads = 0;

    Task<Result<std::optional<std::string>>> read_runner_config(Identifier id) override {
        co_await rt_.sleep(latency);
        ++reads;
        const auto it = configs.find(id.str());
        if (it == configs.end())
            co_return std::optional<std::string>{};
        co_return std::optional<std::string>{it->second};
    }

  private:
    Runtime& rt_;
};

/// GitHub as a runner sees it: single-use JIT configs, a queue of jobs handed out in order.
class FakeRunnerService final : public RunnerService {
  public:
    explicit FakeRunnerService(Runtime& rt) : rt_(rt) {}
    Duration register_latency = milliseconds(500);
    Duration job_delay = seconds(2);  // how long a runner waits for its job
    int failing_registrations = 0;    // the next N registrations fail
    std::deque<AssignedJob> jobs;

    std::map<std::string, std::int64_t> registered;               // instance id -> runner id
    std::vector<std::pair<std::int64_t, std::int64_t>> finished;  // runner, job
    std::vector<std::int64_t> lost;
    std::set<std::string> used_configs;

    Task<Result<std::int64_t>> register_jit_runner(std::string config, Identifier id) override {
        co_await rt_.sleep(register_latency);
        if (failing_registrations > 0) {
            --failing_registrations;
            co_return make_error(ErrorKind::transient, "github", "502", "Bad Gateway");
        }
        if (!used_configs.insert(config).second)
            co_return make_error(ErrorKind::invalid, "github", "409", "config already used");
        const std::int64_t runner = ++next_runner_;
        registered[id.str()] = runner;
        co_return runner;
    }
    Task<std::optional<AssignedJob>> wait_for_job(std::int64_t, Duration max_wait) override {
        co_await rt_.sleep(std::min(job_delay, max_wait));
        if (jobs.empty())
            co_return std::nullopt;
        AssignedJob job = jobs.front();
        jobs.pop_front();
        co_return job;
    }
    void job_finished(std::int64_t runner, std::int64_t job) override {
        finished.emplace_back(runner, job);
    }
    void runner_lost(std::int64_t runner) override { lost.push_back(runner); }

  private:
    Runtime& rt_;
    std::int64_t next_runner_ = 0;
};

SimulatedEc2::Options fixed_options() {
    SimulatedEc2::Options o;
    o.create_latency = {milliseconds(100), milliseconds(100)};
    o.call_latency = {milliseconds(50), milliseconds(50)};
    o.boot_time = {seconds(60), seconds(60)};
    o.shutdown_time = {seconds(5), seconds(5)};
    return o;
}

struct World {
    SimulatedRuntime rt;
    FakeConfigReader configs{rt};
    FakeRunnerService github{rt};
    SimulatedEc2 ec2;
    World(SimulatedEc2::Options options, std::uint64_t seed = 1)
        : rt(seed), ec2(rt, std::move(options), configs, github) {}
};

LaunchRequest request(int count, std::string token = {}) {
    return LaunchRequest{std::move(token), count,
                         std::make_shared<const InstanceTags>(
                             InstanceTags{{"ghr:Application", "github-action-runner"}})};
}

Task<void> create(FleetPort& fleet, LaunchRequest r, std::vector<Result<LaunchResult>>& out) {
    out.push_back(co_await fleet.create_fleet(std::move(r)));
}

/// Starts a CreateFleet call now and runs the world until `until`.
void create_then_run(World& w, LaunchRequest r, std::vector<Result<LaunchResult>>& out,
                     Instant until) {
    w.rt.spawn(create(w.ec2, std::move(r), out));
    w.rt.run_until(until);
}

Task<void> terminate(FleetPort& fleet, std::vector<std::string> ids, std::vector<Status>& out) {
    out.push_back(co_await fleet.terminate_instances(std::move(ids)));
}

Task<void> describe(FleetPort& fleet, InstanceTags tags,
                    std::vector<Result<std::vector<InstanceInfo>>>& out) {
    out.push_back(co_await fleet.describe_instances(std::move(tags)));
}

/// Launches one instance and stores its config as soon as the launch returns.
Task<void> launch_with_config(World& w, std::string config, std::vector<std::string>& ids) {
    Result<LaunchResult> launched = co_await w.ec2.create_fleet(request(1));
    REQUIRE(launched.ok());
    REQUIRE(launched.value().instance_ids.size() == 1);
    const std::string id = launched.value().instance_ids.front();
    w.configs.configs[id] = config;
    ids.push_back(id);
}

}  // namespace

TEST_CASE("CreateFleet fills the pools in order and reports one error per short pool",
          "[sim-ec2]") {
    auto options = fixed_options();
    options.pools = {
        CapacityPool{"m5.large", "us-east-1a", 2, true, "InsufficientInstanceCapacity"},
        CapacityPool{"m5.large", "us-east-1b", 1, true, "UnfulfillableCapacity"},
        CapacityPool{"c5.large", "us-east-1a", 0, true, "InsufficientInstanceCapacity"}};
    World w(options);
    std::vector<Result<LaunchResult>> results;
    w.rt.spawn(create(w.ec2, request(4), results));
    w.rt.run_until(t0 + seconds(1));

    REQUIRE(results.size() == 1);
    REQUIRE(results[0].ok());  // partial fulfilment is a success
    const LaunchResult& r = results[0].value();
    CHECK(r.instance_ids.size() == 3);  // one instance missing...
    REQUIRE(r.errors.size() == 3);      // ...and three errors: one per pool that fell short
    CHECK(r.errors[0].code == "InsufficientInstanceCapacity");
    CHECK(r.errors[0].message.find("us-east-1a") != std::string::npos);
    CHECK(r.errors[1].code == "UnfulfillableCapacity");
    CHECK(r.errors[2].code == "InsufficientInstanceCapacity");
    CHECK(r.errors[2].message.find("c5.large") != std::string::npos);
    CHECK(w.ec2.find(r.instance_ids[0])->pool == 0);
    CHECK(w.ec2.find(r.instance_ids[2])->pool == 1);
    CHECK(w.ec2.live_instances() == 3);

    // Capacity is held until an instance is terminated, then the pool can launch again.
    std::vector<Status> terminated;
    w.rt.spawn(terminate(w.ec2, {r.instance_ids[0]}, terminated));
    w.rt.spawn(create(w.ec2, request(1), results));  // arrives before the shutdown finished
    w.rt.run_until(t0 + seconds(10));
    w.rt.spawn(create(w.ec2, request(1), results));
    w.rt.run_until(t0 + seconds(11));
    REQUIRE(results.size() == 3);
    CHECK(results[1].value().instance_ids.empty());
    CHECK(results[1].value().errors.size() == 3);
    CHECK(results[2].value().instance_ids.size() == 1);
    CHECK(results[2].value().errors.empty());
}

TEST_CASE("CreateFleet throttles the 6th call of an instant and refills a token per 0.5 s",
          "[sim-ec2]") {
    World w(fixed_options());
    std::vector<Result<LaunchResult>> burst;
    for (int i = 0; i < 6; ++i)
        w.rt.spawn(create(w.ec2, request(1), burst));  // all arrive at t0 + 100 ms
    w.rt.run_until(t0 + milliseconds(499));
    std::vector<Result<LaunchResult>> later;
    w.rt.spawn(create(w.ec2, request(1), later));  // arrives at 599 ms: no token yet
    w.rt.run_until(t0 + milliseconds(500));
    w.rt.spawn(create(w.ec2, request(1), later));  // arrives at 600 ms: one token back
    w.rt.spawn(create(w.ec2, request(1), later));  // same instant: throttled again
    w.rt.run_until(t0 + seconds(1));

    REQUIRE(burst.size() == 6);
    for (int i = 0; i < 5; ++i)
        CHECK(burst[i].ok());
    REQUIRE_FALSE(burst[5].ok());
    CHECK(burst[5].error().kind == ErrorKind::throttled);
    CHECK(burst[5].error().code == "RequestLimitExceeded");
    REQUIRE(later.size() == 3);
    CHECK_FALSE(later[0].ok());
    CHECK(later[1].ok());
    CHECK_FALSE(later[2].ok());
    CHECK(w.ec2.instances().size() == 6);  // throttled calls launched nothing
    CHECK(w.ec2.throttled_calls() == 3);
    CHECK(w.ec2.create_fleet_calls() == 9);
}

TEST_CASE("CreateFleet with a reused ClientToken returns the first result and launches nothing",
          "[sim-ec2]") {
    World w(fixed_options());
    std::vector<Result<LaunchResult>> results;
    create_then_run(w, request(2, "launch-7"), results, t0 + seconds(1));
    create_then_run(w, request(2, "launch-7"), results, t0 + seconds(2));
    // The same token with another request, then the same token once it has expired.
    create_then_run(w, request(3, "launch-7"), results, t0 + hours(1) + seconds(1));
    create_then_run(w, request(2, "launch-7"), results, t0 + hours(1) + seconds(2));

    REQUIRE(results.size() == 4);
    REQUIRE(results[0].ok());
    REQUIRE(results[1].ok());
    CHECK(results[1].value().instance_ids == results[0].value().instance_ids);
    REQUIRE_FALSE(results[2].ok());
    CHECK(results[2].error().code == "IdempotentParameterMismatch");
    CHECK(results[2].error().kind == ErrorKind::invalid);
    REQUIRE(results[3].ok());
    CHECK(results[3].value().instance_ids != results[0].value().instance_ids);
    CHECK(w.ec2.instances().size() == 4);
}

TEST_CASE("CreateFleet forgets tokens past their TTL, and a token used again keeps its new launch",
          "[sim-ec2]") {
    World w(fixed_options());
    std::vector<Result<LaunchResult>> results;
    create_then_run(w, request(1, "a"), results, t0 + minutes(30));
    create_then_run(w, request(1, "b"), results, t0 + hours(1) + seconds(1));
    create_then_run(w, request(1, "a"), results, t0 + hours(1) + minutes(31));  // "a" expired
    CHECK(w.ec2.remembered_tokens() == 2);
    // "b" is past its hour: the next launch forgets it, and keeps "a"'s second launch.
    create_then_run(w, request(1, "c"), results, t0 + hours(1) + minutes(32));
    CHECK(w.ec2.remembered_tokens() == 2);
    create_then_run(w, request(1, "a"), results, t0 + hours(1) + minutes(33));

    REQUIRE(results.size() == 5);
    for (const auto& result : results)
        REQUIRE(result.ok());
    CHECK(results[2].value().instance_ids != results[0].value().instance_ids);
    CHECK(results[4].value().instance_ids == results[2].value().instance_ids);  // a replay
    CHECK(w.ec2.instances().size() == 4);
}

TEST_CASE("a lost CreateFleet response leaves running instances, the token retry finds them",
          "[sim-ec2]") {
    World w(fixed_options());
    w.ec2.set_lost_response_rate(Ratio::always());
    std::vector<Result<LaunchResult>> results;
    w.rt.spawn(create(w.ec2, request(2, "launch-9"), results));
    w.rt.run_until(t0 + seconds(1));
    REQUIRE(results.size() == 1);
    REQUIRE_FALSE(results[0].ok());
    CHECK(results[0].error().kind == ErrorKind::unknown_outcome);
    CHECK(w.ec2.instances().size() == 2);  // the launch happened
    CHECK(w.ec2.live_instances() == 2);
    CHECK(w.ec2.lost_responses() == 1);

    w.ec2.set_lost_response_rate(Ratio::never());
    w.rt.spawn(create(w.ec2, request(2, "launch-9"), results));
    w.rt.run_until(t0 + seconds(2));
    REQUIRE(results.size() == 2);
    REQUIRE(results[1].ok());
    CHECK(results[1].value().instance_ids.size() == 2);
    CHECK(w.ec2.instances().size() == 2);  // nothing new
    CHECK(w.ec2.find(results[1].value().instance_ids[0]) != nullptr);
}

// Records what create_fleet threw, or "" if it returned.
Task<void> create_catching(FleetPort& fleet, LaunchRequest r, std::vector<std::string>& thrown) {
    try {
        (void)co_await fleet.create_fleet(std::move(r));
        thrown.emplace_back();
    } catch (const std::exception& e) {
        thrown.emplace_back(e.what());
    }
}

TEST_CASE("an unreadable CreateFleet reply throws after the launch, the token retry finds it",
          "[sim-ec2]") {
    World w(fixed_options());
    w.ec2.set_unreadable_reply_rate(Ratio::always());
    std::vector<std::string> thrown;
    w.rt.spawn(create_catching(w.ec2, request(2, "launch-7"), thrown));
    w.rt.run_until(t0 + seconds(1));
    REQUIRE(thrown.size() == 1);
    CHECK(thrown[0].find("could not read the reply") != std::string::npos);
    CHECK(w.ec2.instances().size() == 2);  // the launch happened
    CHECK(w.ec2.live_instances() == 2);
    CHECK(w.ec2.unreadable_replies() == 1);

    w.ec2.set_unreadable_reply_rate(Ratio::never());
    std::vector<Result<LaunchResult>> results;
    w.rt.spawn(create(w.ec2, request(2, "launch-7"), results));
    w.rt.run_until(t0 + seconds(2));
    REQUIRE(results.size() == 1);
    REQUIRE(results[0].ok());
    CHECK(results[0].value().instance_ids.size() == 2);
    CHECK(w.ec2.instances().size() == 2);  // nothing new
}

TEST_CASE("an ICE window empties every pool for its duration", "[sim-ec2]") {
    auto options = fixed_options();
    options.capacity_outages = {CapacityOutage{std::nullopt, {t0, t0 + minutes(5)}}};
    World w(options);
    std::vector<Result<LaunchResult>> results;
    w.rt.spawn(create(w.ec2, request(3), results));
    w.rt.run_until(t0 + minutes(5));
    w.rt.spawn(create(w.ec2, request(3), results));
    w.rt.run_until(t0 + minutes(6));
    REQUIRE(results.size() == 2);
    REQUIRE(results[0].ok());
    CHECK(results[0].value().instance_ids.empty());
    REQUIRE(results[0].value().errors.size() == 1);
    CHECK(results[0].value().errors[0].code == "InsufficientInstanceCapacity");
    CHECK(results[1].value().instance_ids.size() == 3);
}

TEST_CASE("DescribeInstances answers 503 Unavailable in a window and at its rate", "[sim-ec2]") {
    auto options = fixed_options();
    options.unavailable_windows = {FaultWindow{t0 + seconds(10), t0 + seconds(20)}};
    World w(options);
    std::vector<Result<LaunchResult>> launched;
    w.rt.spawn(create(w.ec2, request(3), launched));
    w.rt.run_until(t0 + seconds(1));
    std::vector<Status> terminated;
    w.rt.spawn(terminate(w.ec2, {launched[0].value().instance_ids[0]}, terminated));
    w.rt.spawn(terminate(w.ec2, {launched[0].value().instance_ids[1]}, terminated));
    w.rt.run_until(t0 + seconds(2));

    std::vector<Result<std::vector<InstanceInfo>>> seen;
    w.rt.spawn(describe(w.ec2, {{"ghr:Application", "github-action-runner"}}, seen));
    w.rt.spawn(describe(w.ec2, {{"ghr:Application", "other"}}, seen));
    w.rt.run_until(t0 + seconds(10));
    w.rt.spawn(describe(w.ec2, {}, seen));  // inside the window
    w.rt.run_until(t0 + seconds(20));
    w.ec2.set_describe_unavailable_rate(Ratio::always());
    w.rt.spawn(describe(w.ec2, {}, seen));  // after the window, at rate 1
    w.rt.run_until(t0 + seconds(21));

    REQUIRE(seen.size() == 4);
    REQUIRE(seen[0].ok());
    REQUIRE(seen[0].value().size() == 1);  // the two shutting-down ones are not listed
    CHECK(seen[0].value()[0].id == launched[0].value().instance_ids[2]);
    CHECK(seen[0].value()[0].state == InstanceState::pending);
    CHECK(seen[0].value()[0].launched_at == t0 + milliseconds(100));
    CHECK(seen[1].value().empty());
    for (int i : {2, 3}) {
        REQUIRE_FALSE(seen[i].ok());
        CHECK(seen[i].error().kind == ErrorKind::transient);
        CHECK(seen[i].error().code == "Unavailable");
        CHECK(seen[i].error().message == "The service is unavailable. Please try again shortly.");
    }
}

TEST_CASE("TerminateInstances is idempotent for terminated ids and all-or-nothing for unknown ones",
          "[sim-ec2]") {
    World w(fixed_options());
    std::vector<Result<LaunchResult>> launched;
    w.rt.spawn(create(w.ec2, request(2), launched));
    w.rt.run_until(t0 + seconds(1));
    const auto ids = launched[0].value().instance_ids;
    std::vector<Status> results;
    w.rt.spawn(terminate(w.ec2.port_for(TerminatedBy::scale_down), {ids[0]}, results));
    w.rt.run_until(t0 + seconds(10));
    w.rt.spawn(terminate(w.ec2, {ids[0]}, results));  // terminated already: success
    w.rt.spawn(terminate(w.ec2, {ids[1], "i-does-not-exist"}, results));
    w.rt.run_until(t0 + seconds(20));

    REQUIRE(results.size() == 3);
    CHECK(results[0].ok());
    CHECK(results[1].ok());
    REQUIRE_FALSE(results[2].ok());
    CHECK(results[2].error().kind == ErrorKind::invalid);
    CHECK(results[2].error().code == "InvalidInstanceID.NotFound");
    const InstanceRecord& first = *w.ec2.find(ids[0]);
    CHECK(first.state == InstanceState::terminated);
    CHECK(first.terminated_by == TerminatedBy::scale_down);  // the first caller stays recorded
    CHECK(first.terminating_at == t0 + seconds(1) + milliseconds(50));
    CHECK(first.terminated_at == t0 + seconds(6) + milliseconds(50));
    CHECK(w.ec2.find(ids[1])->live());  // not terminated by the failed call
}

TEST_CASE("only the exact ids EC2 minted name its instances", "[sim-ec2]") {
    World w(fixed_options());
    std::vector<Result<LaunchResult>> launched;
    w.rt.spawn(create(w.ec2, request(2), launched));
    w.rt.run_until(t0 + seconds(1));
    const auto ids = launched[0].value().instance_ids;
    REQUIRE(ids.size() == 2);
    CHECK(ids[0] == "i-00000000000000001");
    CHECK(w.ec2.find(ids[1])->id == ids[1]);
    // Records are found by the launch number in the id; these near misses must not be.
    for (const char* unknown :
         {"i-00000000000000000", "i-00000000000000003", "I-00000000000000001", "i-0000000000000001",
          "i-000000000000000001", "i-0000000000000000A", "x-00000000000000001", ""}) {
        INFO(unknown);
        CHECK(w.ec2.find(unknown) == nullptr);
        std::vector<Status> results;
        w.rt.spawn(terminate(w.ec2, {std::string(unknown)}, results));
        w.rt.run_until(w.rt.now() + seconds(1));
        REQUIRE(results.size() == 1);
        REQUIRE_FALSE(results[0].ok());
        CHECK(results[0].error().code == "InvalidInstanceID.NotFound");
    }
    CHECK(w.ec2.find(ids[0])->live());
}

TEST_CASE("the agent boots, finds its config, registers, runs one job and terminates itself",
          "[sim-ec2]") {
    World w(fixed_options());
    w.github.jobs.push_back(AssignedJob{77, minutes(5)});
    std::vector<std::string> ids;
    w.rt.spawn(launch_with_config(w, "jit-a", ids));
    w.rt.run_until(t0 + hours(1));

    REQUIRE(ids.size() == 1);
    const InstanceRecord& i = *w.ec2.find(ids[0]);
    const Instant launched = t0 + milliseconds(100);
    CHECK(i.launched_at == launched);
    CHECK(i.booted_at == launched + seconds(60));
    CHECK(i.config_found_at == launched + seconds(60) + milliseconds(20));
    CHECK(i.registered_at == launched + seconds(60) + milliseconds(520));
    CHECK(i.runner_id == 1);
    CHECK(i.job_id == 77);
    CHECK(i.job_started_at == launched + seconds(62) + milliseconds(520));
    CHECK(i.job_finished_at == launched + seconds(362) + milliseconds(520));
    CHECK(i.terminating_at == launched + seconds(372) + milliseconds(520));
    CHECK(i.terminated_at == launched + seconds(377) + milliseconds(520));
    CHECK(i.terminated_by == TerminatedBy::self);
    CHECK(i.state == InstanceState::terminated);
    CHECK_FALSE(i.runner_lost);
    CHECK(w.github.finished == std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 77}});
    CHECK(w.github.lost.empty());
    CHECK(w.ec2.live_history().size() == 3);
    CHECK(w.ec2.max_live_instances() == 1);
    CHECK(w.ec2.live_instances() == 0);
    CHECK(w.configs.reads == 1);
}

TEST_CASE("the agent terminates its instance when no config appears within its limit",
          "[sim-ec2]") {
    World w(fixed_options());
    std::vector<Result<LaunchResult>> launched;
    w.rt.spawn(create(w.ec2, request(1), launched));
    w.rt.run_until(t0 + hours(1));

    const InstanceRecord& i = *w.ec2.find(launched[0].value().instance_ids[0]);
    REQUIRE(i.booted_at);
    // Reads every 1 s plus 20 ms of latency; the first read ending at or after 10 min gives up:
    // read 590 ends at 589 x 1.02 s + 0.02 s = 600.8 s after boot.
    CHECK(i.terminating_at == *i.booted_at + milliseconds(600'800));
    CHECK(i.terminated_by == TerminatedBy::self);
    CHECK(w.configs.reads == 590);
    CHECK_FALSE(i.config_found_at);
    CHECK(w.github.registered.empty());
    CHECK(w.github.lost.empty());
}

TEST_CASE("a failed registration is retried, then the instance terminates itself", "[sim-ec2]") {
    World w(fixed_options());
    w.github.failing_registrations = 3;
    std::vector<std::string> ids;
    w.rt.spawn(launch_with_config(w, "jit-b", ids));
    w.rt.run_until(t0 + hours(1));

    const InstanceRecord& i = *w.ec2.find(ids[0]);
    CHECK(i.registration_failures == 3);
    CHECK(i.runner_id == 0);
    // Config at boot + 20 ms; three tries of 500 ms with 5 s between them.
    CHECK(i.terminating_at == *i.booted_at + milliseconds(20 + 500 * 3 + 5000 * 2));
    CHECK(i.terminated_by == TerminatedBy::self);
    CHECK(w.github.lost.empty());
}

TEST_CASE("a boot failure leaves a running orphan until someone terminates it", "[sim-ec2]") {
    auto options = fixed_options();
    options.boot_failure_rate = Ratio::always();
    World w(options);
    std::vector<std::string> ids;
    w.rt.spawn(launch_with_config(w, "jit-c", ids));
    w.rt.run_until(t0 + hours(2));

    const InstanceRecord& i = *w.ec2.find(ids[0]);
    CHECK(i.state == InstanceState::running);
    CHECK(i.boot_failed);
    CHECK(i.live());
    CHECK(w.configs.reads == 0);  // its agent never ran
    CHECK(w.ec2.live_instances() == 1);

    std::vector<Status> results;
    w.rt.spawn(terminate(w.ec2.port_for(TerminatedBy::scale_down), ids, results));
    w.rt.run_until(t0 + hours(2) + minutes(1));
    CHECK(results.at(0).ok());
    CHECK(i.state == InstanceState::terminated);
    CHECK(i.terminated_by == TerminatedBy::scale_down);
    CHECK(w.ec2.live_instances() == 0);
    CHECK(w.github.lost.empty());
}

TEST_CASE("a spot interruption mid-job terminates the instance and reports the runner lost",
          "[sim-ec2]") {
    auto options = fixed_options();
    options.spot_interruption_rate = Ratio::always();
    options.spot_interruption_after = {minutes(3), minutes(3)};
    World w(options);
    w.github.jobs.push_back(AssignedJob{5, minutes(10)});
    std::vector<std::string> ids;
    w.rt.spawn(launch_with_config(w, "jit-d", ids));
    w.rt.run_until(t0 + hours(1));

    const InstanceRecord& i = *w.ec2.find(ids[0]);
    CHECK(i.job_id == 5);
    CHECK(i.terminated_by == TerminatedBy::spot);
    CHECK(i.terminating_at == *i.booted_at + minutes(3));
    CHECK(i.runner_lost);
    CHECK_FALSE(i.job_finished_at);
    CHECK(w.github.lost == std::vector<std::int64_t>{1});
    CHECK(w.github.finished.empty());  // the agent stopped with its instance
    CHECK(i.state == InstanceState::terminated);
}

TEST_CASE("terminating a registered runner's instance reports the runner lost once", "[sim-ec2]") {
    World w(fixed_options());
    w.github.job_delay = minutes(30);  // the runner idles, registered, waiting for a job
    w.github.jobs.push_back(AssignedJob{9, minutes(1)});  // handed out after the termination
    std::vector<std::string> ids;
    w.rt.spawn(launch_with_config(w, "jit-e", ids));
    w.rt.run_until(t0 + minutes(5));
    REQUIRE(w.ec2.find(ids[0])->registered_at);
    std::vector<Status> results;
    w.rt.spawn(terminate(w.ec2.port_for(TerminatedBy::scale_down), ids, results));
    w.rt.spawn(terminate(w.ec2, ids, results));
    w.rt.run_until(t0 + hours(2));
    CHECK(w.github.lost == std::vector<std::int64_t>{1});
    CHECK(w.ec2.find(ids[0])->terminated_by == TerminatedBy::scale_down);
    CHECK(w.ec2.find(ids[0])->job_id == 0);  // the job answer after termination was dropped
}

namespace {
// Everything at once, with random latencies and faults, the real SimulatedSsm as config store.
void ec2_workload(TraceRecorder& trace, std::uint64_t seed) {
    SimulatedRuntime rt(seed, &trace);
    SimulatedSsm ssm(rt, SimulatedSsm::Options{});
    FakeRunnerService github(rt);
    for (int j = 1; j <= 12; ++j)
        github.jobs.push_back(AssignedJob{j, minutes(j)});
    SimulatedEc2::Options options;
    options.pools = {
        CapacityPool{"m5.large", "us-east-1a", 6, true, "InsufficientInstanceCapacity"},
        CapacityPool{"m5.large", "us-east-1b", 4, true, "UnfulfillableCapacity"}};
    options.boot_time_mean = seconds(20);
    options.boot_failure_rate = Ratio::percent(20);
    options.spot_interruption_rate = Ratio::percent(30);
    options.lost_response_rate = Ratio::percent(10);
    options.describe_unavailable_rate = Ratio::percent(30);
    SimulatedEc2 ec2(rt, options, ssm, github);
    for (int i = 0; i < 8; ++i) {
        rt.spawn([](Runtime& r, SimulatedEc2& fleet, SimulatedSsm& store, int n) -> Task<void> {
            co_await r.sleep(r.random().between(milliseconds(0), seconds(3)));
            Result<LaunchResult> launched = co_await fleet.create_fleet(request(2));
            if (!launched.ok())
                co_return;
            for (const auto& id : launched.value().instance_ids) {
                const std::string config = "jit-" + id + "-" + std::to_string(n);
                Status stored = co_await store.put_runner_config(id, config);
                (void)stored;
            }
            Result<std::vector<InstanceInfo>> seen = co_await fleet.describe_instances({});
            (void)seen;
        }(rt, ec2, ssm, i));
    }
    rt.run_until(t0 + hours(2));
}
}  // namespace

TEST_CASE("EC2 runs are deterministic: the same seed gives the same trace", "[sim-ec2]") {
    const auto report = check_determinism([](TraceRecorder& t) { ec2_workload(t, 7); });
    INFO(report.describe());
    CHECK(report.deterministic);
    CHECK(report.first_events > 100);
    TraceRecorder other;
    ec2_workload(other, 8);
    CHECK(other.hash() != report.first_hash);
}

}  // namespace simulated_ec2_test
