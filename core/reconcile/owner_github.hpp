// OwnerGitHub: the GitHub calls of the background components (reconciler, scale-down), each made
// with the runner owner's installation token, and the small rules they share about owners and
// labels.
//
// The token comes from the InstallationTokenCache (installation id 0: resolved from the owner once,
// then cached), every call goes through with_retries under the GitHub rules, and every call is
// counted in `scaleup_github_calls_total{call, outcome}` as the consumer's calls are. A 401 drops
// the rejected token from the cache and is returned: these components run again within minutes,
// and the next run mints a fresh token. They never need the consumer's in-call 401 retry.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/result.hpp"
#include "core/common/retry.hpp"
#include "core/config/scale_up_config.hpp"
#include "core/github/installation_token_cache.hpp"
#include "core/metrics/metrics.hpp"
#include "core/ports/github.hpp"
#include "core/runtime/runtime.hpp"

namespace scaleup {

/// "org" or "owner/repo" (ScaleUpConfig::validate checked the shape) as a RunnerOwner.
RunnerOwner parse_owner(const std::string& text);

/// Whose runners serve a job of `owner/repo`: the organization, or the repository itself when
/// runners are registered per repository (as BatchHandler groups them).
RunnerOwner runner_owner_of(const ScaleUpConfig& config, const std::string& owner,
                            const std::string& repo);

struct QueuedJobs {
    std::vector<QueuedJob> jobs;
    std::int64_t installation_id = 0;  // the installation the token was minted for
};

class OwnerGitHub {
  public:
    OwnerGitHub(Runtime& rt, GitHubPort& github, InstallationTokenCache& tokens,
                const ScaleUpConfig& config, MetricsRegistry& metrics);

    Task<Result<QueuedJobs>> list_queued_jobs(RunnerOwner owner, Instant deadline);
    Task<Result<std::vector<RunnerInfo>>> list_runners(RunnerOwner owner, Instant deadline);
    Task<Status> delete_runner(RunnerOwner owner, std::int64_t runner_id, Instant deadline);

  private:
    template <typename T, typename MakeCall>
    Task<Result<T>> call(RunnerOwner owner, Instant deadline, const char* name,
                         std::int64_t* installation_id, MakeCall make_call);

    Runtime& rt_;
    GitHubPort& github_;
    InstallationTokenCache& tokens_;
    const ScaleUpConfig& config_;
    MetricsRegistry& metrics_;
};

}  // namespace scaleup
