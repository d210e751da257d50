// FleetPort: EC2 as the control plane uses it: CreateFleet `instant`, describe, terminate, tag.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/identifier.hpp"
#include "core/common/result.hpp"
#include "core/common/tag_set.hpp"
#include "core/runtime/task.hpp"
#include "core/runtime/time.hpp"

namespace scaleup {

using InstanceTags = TagSet;

struct LaunchRequest {
    std::string client_token;  // idempotency: a retried CreateFleet with it launches nothing new
    int count = 0;
    // Shared, never copied: the request is copied for every attempt (a call that timed out may
    // still be running), and the launched instances keep the same tags. Null: no tags.
    std::shared_ptr<const InstanceTags> tags;
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

/// Whether `tags` (null: none) has every tag of `wanted` with its value: DescribeInstances' tag
/// filters.
inline bool carries_tags(const InstanceTags* tags, const InstanceTags& wanted) {
    if (tags == nullptr)
        return wanted.empty();
    return std::all_of(wanted.begin(), wanted.end(), [&](const auto& tag) {
        const auto it = tags->find(tag.first);
        return it != tags->end() && it->second == tag.second;
    });
}

struct InstanceInfo {
    Identifier id;
    InstanceState state = InstanceState::pending;
    Instant launched_at{};
    // Shared, never copied: a describe lists every live instance sweep after sweep, and copying
    // each one's tags was 5 % of a simulated hour's allocations. Null: no tags.
    std::shared_ptr<const InstanceTags> tags;

    /// The value of the tag `key`, or null.
    const std::string* tag(std::string_view key) const {
        if (!tags)
            return nullptr;
        const auto it = tags->find(key);
        return it == tags->end() ? nullptr : &it->second;
    }
};

class FleetPort {
  public:
    virtual ~FleetPort() = default;
    /// Partial fulfilment is a success with fewer ids and some errors; a failed call launched
    /// nothing (unless the error kind is unknown_outcome).
    virtual Task<Result<LaunchResult>> create_fleet(LaunchRequest request) = 0;
    /// Instances in state pending or running carrying all of `tags`.
    virtual Task<Result<std::vector<InstanceInfo>>> describe_instances(InstanceTags tags) = 0;
    virtual Task<Status> terminate_instances(std::vector<std::string> instance_ids) = 0;
    virtual Task<Status> tag_instance(std::string instance_id, std::string key,
                                      std::string value) = 0;
};

}  // namespace scaleup
