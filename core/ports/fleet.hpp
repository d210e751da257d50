// FleetPort: EC2 as the control plane uses it: CreateFleet `instant`, describe, terminate, tag.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/common/result.hpp"
#include "core/runtime/task.hpp"
#include "core/runtime/time.hpp"

namespace scaleup {

struct LaunchRequest {
    std::string client_token;  // idempotency: a retried CreateFleet with it launches nothing new
    int count = 0;
    std::map<std::string, std::string> tags;
};

/// One entry of CreateFleet's `Errors`: per launch-template override, not per missing instance.
struct FleetError {
    std::string code;  // InsufficientInstanceCapacity, UnfulfillableCapacity, ...
    std::string message;
};

struct LaunchResult {
    std::vector<std::string> instance_ids;
    std::vector<FleetError> errors;
};

enum class InstanceState { pending, running, shutting_down, terminated, stopped };

struct InstanceInfo {
    std::string id;
    InstanceState state = InstanceState::pending;
    Instant launched_at{};
    std::map<std::string, std::string> tags;
};

class FleetPort {
  public:
    virtual ~FleetPort() = default;
    /// Partial fulfilment is a success with fewer ids and some errors; a failed call launched
    /// nothing (unless the error kind is unknown_outcome).
    virtual Task<Result<LaunchResult>> create_fleet(LaunchRequest request) = 0;
    /// Instances in state pending or running carrying all of `tags`.
    virtual Task<Result<std::vector<InstanceInfo>>> describe_instances(
        std::map<std::string, std::string> tags) = 0;
    virtual Task<Status> terminate_instances(std::vector<std::string> instance_ids) = 0;
    virtual Task<Status> tag_instance(std::string instance_id, std::string key,
                                      std::string value) = 0;
};

}  // namespace scaleup
