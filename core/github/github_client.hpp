// GitHubClient: the GitHub calls the control plane makes with an installation token.
//
// Each call takes a token from the InstallationTokenCache and goes through with_retries, so rate
// limits wait for their reset (or return at once with `retry_at` when the reset is past the
// deadline) and 5xx back off with jitter. A 401 gets one more try: after 1 s with the same token
// when the token is only seconds old (GitHub has not replicated it yet; octokit does the same), or
// with a freshly minted token otherwise (the old one was revoked or expired early). Every other
// error, such as a 403 for a suspended installation, is returned for the caller to decide.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/common/result.hpp"
#include "core/config/scale_up_config.hpp"
#include "core/github/github_call_metric.hpp"
#include "core/github/installation_token_cache.hpp"
#include "core/metrics/metrics.hpp"
#include "core/ports/github.hpp"
#include "core/runtime/runtime.hpp"

namespace scaleup {

class GitHubClient {
  public:
    GitHubClient(Runtime& rt, GitHubPort& github, InstallationTokenCache& tokens,
                 const ScaleUpConfig& config, MetricsRegistry& metrics);

    /// GET the job's status. `owner` is whose installation to re-resolve if the id is stale.
    Task<Result<JobStatus>> get_job_status(std::int64_t installation_id, RunnerOwner owner,
                                           std::string repo_owner, std::string repo,
                                           std::int64_t job_id, Instant deadline);

    /// The installation's core budget as the latest queued check's answer gave it; nullopt before
    /// one, or once its reset has passed (the budget is whole again then).
    std::optional<RateBudget> core_budget(std::int64_t installation_id) const;

    /// POST a just-in-time runner configuration for `request.owner`.
    Task<Result<JitConfig>> generate_jit_config(std::int64_t installation_id,
                                                JitConfigRequest request, Instant deadline);

  private:
    template <typename T, typename MakeCall>
    Task<Result<T>> call_with_token(std::int64_t installation_id, RunnerOwner owner,
                                    Instant deadline, MakeCall make_call);
    template <typename T, typename MakeCall>
    Task<Result<T>> retry_unauthorized(ServiceError rejected, TokenGrant grant, RunnerOwner owner,
                                       Instant deadline, MakeCall& make_call);
    template <typename T, typename MakeCall>
    Task<Result<T>> call_github(const std::string& token, Instant deadline, MakeCall& make_call);

    Runtime& rt_;
    GitHubPort& github_;
    InstallationTokenCache& tokens_;
    const ScaleUpConfig& config_;
    GitHubCallCounter get_job_calls_;
    GitHubCallCounter jit_config_calls_;
    std::map<std::int64_t, RateBudget> core_budgets_;  // installation id -> latest seen
};

}  // namespace scaleup
