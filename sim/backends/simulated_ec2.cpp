// SimulatedEc2's API: CreateFleet `instant` with capacity pools, throttling and ClientToken
// idempotency; DescribeInstances; TerminateInstances; CreateTags. The fault model is stated in
// simulated_ec2.hpp; instance lifecycles are in simulated_ec2_instances.cpp and the runner agent
// in simulated_ec2_agent.cpp.
#include "sim/backends/simulated_ec2.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/compile.h>
#include <fmt/format.h>

namespace scaleup::sim {

const char* to_string(TerminatedBy by) {
    switch (by) {
        case TerminatedBy::none:
            return "none";
        case TerminatedBy::self:
            return "self";
        case TerminatedBy::consumer:
            return "consumer";
        case TerminatedBy::scale_down:
            return "scale_down";
        case TerminatedBy::spot:
            return "spot";
    }
    return "?";
}

/// The same EC2 seen by another caller: only terminations differ (they record who asked).
class SimulatedEc2::CallerPort final : public FleetPort {
  public:
    CallerPort(SimulatedEc2& ec2, TerminatedBy caller) : ec2_(ec2), caller_(caller) {}
    Task<Result<LaunchResult>> create_fleet(LaunchRequest request) override {
        return ec2_.create_fleet(std::move(request));
    }
    Task<Result<std::vector<InstanceInfo>>> describe_instances(InstanceTags tags) override {
        return ec2_.describe_instances(std::move(tags));
    }
    Task<Status> terminate_instances(std::vector<std::string> instance_ids) override {
        return ec2_.terminate_as(caller_, std::move(instance_ids));
    }
    Task<Status> tag_instance(std::string instance_id, std::string key,
                              std::string value) override {
        return ec2_.tag_instance(std::move(instance_id), std::move(key), std::move(value));
    }

  private:
    SimulatedEc2& ec2_;
    TerminatedBy caller_;
};

SimulatedEc2::SimulatedEc2(Runtime& rt, Options options, ConfigReader& config,
                           RunnerService& runners)
    : rt_(rt),
      options_(std::move(options)),
      config_(config),
      runners_(runners),
      random_(rt.random().fork()),
      create_bucket_(options_.create_bucket),
      describe_bucket_(options_.describe_bucket),
      mutating_bucket_(options_.mutating_bucket),
      pool_in_use_(options_.pools.size(), 0) {
    live_history_.push_back(LiveSample{rt_.now(), 0});
}

SimulatedEc2::~SimulatedEc2() = default;

FleetPort& SimulatedEc2::port_for(TerminatedBy caller) {
    auto& port = caller_ports_[caller];
    if (!port)
        port = std::make_unique<CallerPort>(*this, caller);
    return *port;
}

const InstanceRecord* SimulatedEc2::find(std::string_view instance_id) const {
    const auto index = index_of(instance_id);
    return index ? &instances_[*index] : nullptr;
}

// ---- admission: outages and throttling ---------------------------------------------------------

std::optional<ServiceError> SimulatedEc2::unavailable(const char* operation) {
    if (!any_active(options_.unavailable_windows, rt_.now()))
        return std::nullopt;
    if (rt_.tracing())
        rt_.tracef("ec2", "unavailable", FMT_COMPILE("op={}"), operation);
    return make_error(ErrorKind::transient, "ec2", "Unavailable",
                      "The service is unavailable. Please try again shortly.");
}

std::optional<ServiceError> SimulatedEc2::throttled(TokenBucket& bucket, const char* operation) {
    if (bucket.try_take(rt_.now()))
        return std::nullopt;
    ++throttled_calls_;
    if (rt_.tracing())
        rt_.tracef("ec2", "throttled", FMT_COMPILE("op={}"), operation);
    return make_error(ErrorKind::throttled, "ec2", "RequestLimitExceeded",
                      "Request limit exceeded.");
}

// ---- CreateFleet
// ---------------------------------------------------------------------------------

std::optional<ServiceError> SimulatedEc2::validate(const LaunchRequest& request) {
    if (request.count < 0) {
        return make_error(ErrorKind::invalid, "ec2", "InvalidTargetCapacitySpecification",
                          "TotalTargetCapacity should not be negative.");
    }
    if (request.count == 0) {  // stricter than EC2: asking for nothing is a caller bug
        return make_error(ErrorKind::invalid, "ec2", "InvalidTargetCapacitySpecification",
                          "TotalTargetCapacity must be at least 1.");
    }
    if (request.client_token.size() > 64) {
        return make_error(ErrorKind::invalid, "ec2", "InvalidParameterValue",
                          "The client token must be at most 64 ASCII characters.");
    }
    return std::nullopt;
}

// A token is remembered for `client_token_ttl`; past it, replay() treats it as unknown. Tokens
// are forgotten in the order they were remembered, so the memory holds the last TTL's launches, not
// every launch of a run (a day's 50,000, with their instance ids and tags). A token is remembered
// again only once its entry has expired, and by then that entry has left the front: each token is
// in the queue once.
void SimulatedEc2::remember_launch(const LaunchRequest& request,
                                   std::shared_ptr<const InstanceTags> tags,
                                   const LaunchResult& result) {
    const Instant now = rt_.now();
    while (!remembered_tokens_.empty() &&
           now - remembered_tokens_.front().at >= options_.client_token_ttl) {
        launches_by_token_.erase(remembered_tokens_.front().token);
        remembered_tokens_.pop_front();
    }
    launches_by_token_[request.client_token] =
        RememberedLaunch{now, request.count, std::move(tags), result};
    remembered_tokens_.push_back(RememberedToken{now, request.client_token});
}

namespace {
/// Whether two launches asked for the same tags; no tags (null) and an empty set are the same.
bool same_tags(const InstanceTags* a, const InstanceTags* b) {
    if (a == nullptr || b == nullptr)
        return (a == nullptr || a->empty()) && (b == nullptr || b->empty());
    return *a == *b;
}
}  // namespace

std::optional<Result<LaunchResult>> SimulatedEc2::replay(const LaunchRequest& request) {
    if (request.client_token.empty())
        return std::nullopt;
    const RememberedLaunch* remembered = launches_by_token_.find(request.client_token);
    if (remembered == nullptr)
        return std::nullopt;
    if (rt_.now() - remembered->at >= options_.client_token_ttl) {
        launches_by_token_.erase(request.client_token);  // forgotten: the token launches again
        return std::nullopt;
    }
    if (remembered->count != request.count ||
        !same_tags(remembered->tags.get(), request.tags.get())) {
        return Result<LaunchResult>{
            make_error(ErrorKind::invalid, "ec2", "IdempotentParameterMismatch",
                       "The client token was already used with different parameters.")};
    }
    if (rt_.tracing()) {
        rt_.tracef("ec2", "create_fleet_replayed", FMT_COMPILE("token={} instances={}"),
                   request.client_token, remembered->result.instance_ids.size());
    }
    return Result<LaunchResult>{remembered->result};
}

int SimulatedEc2::pool_capacity_now(std::size_t pool) const {
    for (const auto& outage : options_.capacity_outages) {
        if ((!outage.pool || *outage.pool == pool) && outage.window.contains(rt_.now()))
            return 0;
    }
    return std::max(0, options_.pools[pool].capacity - pool_in_use_[pool]);
}

namespace {
std::string shortfall_message(const CapacityPool& pool) {
    if (pool.shortfall_code == "InsufficientInstanceCapacity") {
        return fmt::format(
            FMT_COMPILE(
                "We currently do not have sufficient {} capacity in the Availability Zone you "
                "requested ({})."),
            pool.instance_type, pool.zone);
    }
    return fmt::format(FMT_COMPILE("{}: not enough {} capacity for {} in {}."), pool.shortfall_code,
                       pool.spot ? "spot" : "on-demand", pool.instance_type, pool.zone);
}
}  // namespace

// Spreads the request over the pools in order. Every pool that was asked and could not give all
// it was asked for adds one error entry: errors describe overrides, not missing instances.
LaunchResult SimulatedEc2::launch(const LaunchRequest& request,
                                  const std::shared_ptr<const InstanceTags>& tags) {
    LaunchResult result;
    int remaining = request.count;
    for (std::size_t pool = 0; pool < options_.pools.size() && remaining > 0; ++pool) {
        const int granted = std::min(remaining, pool_capacity_now(pool));
        for (int i = 0; i < granted; ++i)
            result.instance_ids.push_back(start_instance(pool, tags));
        if (granted < remaining) {
            const auto& p = options_.pools[pool];
            result.errors.push_back(FleetError{p.shortfall_code, shortfall_message(p)});
        }
        remaining -= granted;
    }
    if (rt_.tracing()) {
        rt_.tracef("ec2", "create_fleet",
                   FMT_COMPILE("token={} requested={} launched={} errors={}"), request.client_token,
                   request.count, result.instance_ids.size(), result.errors.size());
    }
    return result;
}

Task<Result<LaunchResult>> SimulatedEc2::create_fleet(LaunchRequest request) {
    ++create_calls_;
    co_await rt_.sleep(options_.create_latency.draw(random_));
    if (auto error = unavailable("CreateFleet"))
        co_return *error;
    if (auto error = throttled(create_bucket_, "CreateFleet"))
        co_return *error;
    if (auto error = validate(request))
        co_return *error;
    std::optional<Result<LaunchResult>> outcome = replay(request);
    if (!outcome) {
        // One map of tags for the launch: the caller, its instances and the token's memory
        // share it.
        const std::shared_ptr<const InstanceTags> tags = request.tags;
        outcome.emplace(launch(request, tags));
        if (!request.client_token.empty())
            remember_launch(request, tags, outcome->value());
    }
    if (outcome->ok() && random_.chance(options_.lost_response_rate)) {
        ++lost_responses_;
        if (rt_.tracing()) {
            rt_.tracef("ec2", "response_lost", FMT_COMPILE("op=CreateFleet token={} launched={}"),
                       request.client_token, outcome->value().instance_ids.size());
        }
        co_return make_error(ErrorKind::unknown_outcome, "ec2", "ECONNRESET",
                             "The connection was reset after the request was sent.");
    }
    if (outcome->ok() && random_.chance(options_.unreadable_reply_rate)) {
        ++unreadable_replies_;
        if (rt_.tracing()) {
            rt_.tracef("ec2", "reply_unreadable",
                       FMT_COMPILE("op=CreateFleet token={} launched={}"), request.client_token,
                       outcome->value().instance_ids.size());
        }
        throw std::runtime_error(
            "CreateFleet: the client could not read the reply "
            "(simulated client defect)");
    }
    co_return std::move(*outcome);
}

// ---- DescribeInstances, TerminateInstances, CreateTags ---------------------------------------

Task<Result<std::vector<InstanceInfo>>> SimulatedEc2::describe_instances(InstanceTags tags) {
    co_await rt_.sleep(options_.call_latency.draw(random_));
    if (auto error = unavailable("DescribeInstances"))
        co_return *error;
    if (auto error = throttled(describe_bucket_, "DescribeInstances"))
        co_return *error;
    if (random_.chance(options_.describe_unavailable_rate)) {
        if (rt_.tracing())
            rt_.trace("ec2", "unavailable", "op=DescribeInstances");
        co_return make_error(ErrorKind::transient, "ec2", "Unavailable",
                             "The service is unavailable. Please try again shortly.");
    }
    std::vector<InstanceInfo> out;
    // Room for every live instance: scale-down's filter, a describe a minute, matches nearly all.
    out.reserve(live_positions_.size());
    // Only live instances, from their index: a day's run launches tens of thousands.
    for (const std::size_t index : live_positions_) {
        const InstanceRecord& instance = instances_[index];
        if (carries_tags(instance.tags.get(), tags))
            out.push_back(
                InstanceInfo{instance.id, instance.state, instance.launched_at, instance.tags});
    }
    co_return out;
}

Task<Status> SimulatedEc2::terminate_instances(std::vector<std::string> instance_ids) {
    return terminate_as(TerminatedBy::consumer, std::move(instance_ids));
}

Task<Status> SimulatedEc2::terminate_as(TerminatedBy caller,
                                        std::vector<std::string> instance_ids) {
    co_await rt_.sleep(options_.call_latency.draw(random_));
    if (auto error = unavailable("TerminateInstances"))
        co_return *error;
    if (auto error = throttled(mutating_bucket_, "TerminateInstances"))
        co_return *error;
    if (instance_ids.empty()) {
        co_return make_error(ErrorKind::invalid, "ec2", "MissingParameter",
                             "The request must contain the parameter InstanceId.");
    }
    // All or nothing: one unknown id fails the call and terminates none of them. Terminated
    // instances stay known, so terminating one again succeeds.
    for (const auto& id : instance_ids) {
        if (!index_of(id)) {
            co_return make_error(
                ErrorKind::invalid, "ec2", "InvalidInstanceID.NotFound",
                fmt::format(FMT_COMPILE("The instance ID '{}' does not exist"), id));
        }
    }
    for (const auto& id : instance_ids)
        begin_termination(record(id), caller);
    co_return ok_status();
}

Task<Status> SimulatedEc2::tag_instance(std::string instance_id, std::string key,
                                        std::string value) {
    co_await rt_.sleep(options_.call_latency.draw(random_));
    if (auto error = unavailable("CreateTags"))
        co_return *error;
    if (auto error = throttled(mutating_bucket_, "CreateTags"))
        co_return *error;
    const auto index = index_of(instance_id);
    if (!index) {
        co_return make_error(
            ErrorKind::invalid, "ec2", "InvalidInstanceID.NotFound",
            fmt::format(FMT_COMPILE("The instance ID '{}' does not exist"), instance_id));
    }
    if (rt_.tracing())
        rt_.tracef("ec2", "tag", FMT_COMPILE("instance={} key={}"), instance_id, key);
    // Copy on write: the old map may be shared with the launch's other instances and with what
    // earlier describes returned, which must not change under their holders.
    auto& tags = instances_[*index].tags;
    InstanceTags changed = tags ? *tags : InstanceTags{};
    changed.insert_or_assign(std::move(key), std::move(value));
    tags = std::make_shared<const InstanceTags>(std::move(changed));
    co_return ok_status();
}

}  // namespace scaleup::sim
