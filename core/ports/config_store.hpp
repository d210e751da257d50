// ConfigStorePort: where a launched instance finds its runner's JIT config (SSM Parameter Store).
#pragma once

#include <string>

#include "core/common/result.hpp"
#include "core/runtime/task.hpp"

namespace scaleup {

class ConfigStorePort {
  public:
    virtual ~ConfigStorePort() = default;
    /// Stores the config under the instance's name (SecureString); overwrites a previous value.
    virtual Task<Status> put_runner_config(std::string instance_id, std::string config) = 0;
};

}  // namespace scaleup
