// What a booted instance's runner agent talks to: GitHub's Actions service, seen from the runner.
// SimulatedGitHub implements it; SimulatedEc2's runner agent uses it. (The core never does: it only
// configures runners, it does not run them.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/common/identifier.hpp"
#include "core/common/result.hpp"
#include "core/runtime/task.hpp"
#include "core/runtime/time.hpp"

namespace scaleup::sim {

struct AssignedJob {
    std::int64_t job_id = 0;
    Duration duration{};  // how long the job runs once started
};

class RunnerService {
  public:
    virtual ~RunnerService() = default;
    /// `run.sh --jitconfig`: registers the runner the config was generated for. Fails for an
    /// unknown or already used config (JIT configs are single-use).
    virtual Task<Result<std::int64_t>> register_jit_runner(std::string encoded_jit_config,
                                                           Identifier instance_id) = 0;
    /// Waits up to `max_wait` for GitHub to assign a queued job whose labels this runner has.
    virtual Task<std::optional<AssignedJob>> wait_for_job(std::int64_t runner_id,
                                                          Duration max_wait) = 0;
    /// The job ran to the end; the ephemeral runner is removed.
    virtual void job_finished(std::int64_t runner_id, std::int64_t job_id) = 0;
    /// The instance disappeared (terminated, spot interruption) with the runner on it.
    virtual void runner_lost(std::int64_t runner_id) = 0;
};

/// What a booted instance reads its JIT config from: SSM GetParameter, seen from the instance.
class ConfigReader {
  public:
    virtual ~ConfigReader() = default;
    /// The config stored for the instance, nullopt while there is none (ParameterNotFound).
    virtual Task<Result<std::optional<std::string>>> read_runner_config(Identifier instance_id) = 0;
};

}  // namespace scaleup::sim
