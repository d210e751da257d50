#include "core/github/github_client.hpp"

#include <utility>

#include <fmt/format.h>

#include "core/common/retry.hpp"
#include "core/github/github_call_metric.hpp"

namespace scaleup {

namespace {
// How long a freshly minted token may take to reach every GitHub replica before a retry
// (octokit/auth-app.js#65; octokit waits 1 s on its first retry).
constexpr Duration kReplicationLagWait = seconds(1);
}  // namespace

GitHubClient::GitHubClient(Runtime& rt, GitHubPort& github, InstallationTokenCache& tokens,
                           const ScaleUpConfig& config, MetricsRegistry& metrics)
    : rt_(rt),
      github_(github),
      tokens_(tokens),
      config_(config),
      get_job_calls_(metrics, "get_job"),
      jit_config_calls_(metrics, "jit_config") {}

template <typename T, typename MakeCall>
Task<Result<T>> GitHubClient::call_github(const std::string& token, Instant deadline,
                                          MakeCall& make_call) {
    co_return co_await with_retries<T>(rt_, github_retry_rules(config_), deadline,
                                       [&make_call, &token] { return make_call(token); });
}

// One more try after a 401, never more: a second 401 is returned.
template <typename T, typename MakeCall>
Task<Result<T>> GitHubClient::retry_unauthorized(ServiceError rejected, TokenGrant grant,
                                                 RunnerOwner owner, Instant deadline,
                                                 MakeCall& make_call) {
    const bool fresh = rt_.now() - grant.minted_at < config_.fresh_token_window;
    SCALEUP_PROBE(rt_, token_rejected_remint);
    if (rt_.tracing()) {
        rt_.tracef("github-client", "unauthorized", FMT_COMPILE("installation={} fresh_token={}"),
                   grant.installation_id, fresh);
    }
    if (fresh) {
        // Not replicated yet: the same token will work in a moment.
        const Instant retry_at = rt_.now() + kReplicationLagWait;
        if (retry_at > deadline)
            co_return with_retry_time(std::move(rejected), retry_at);
        co_await rt_.sleep_until(retry_at);
        co_return co_await call_github<T>(grant.token.token, deadline, make_call);
    }
    // Revoked or expired early: only this token is dropped, not one another call just minted.
    tokens_.invalidate(grant.installation_id, grant.token.token);
    Result<TokenGrant> renewed = co_await tokens_.token_for(grant.installation_id, owner, deadline);
    if (!renewed)
        co_return renewed.error();
    co_return co_await call_github<T>(renewed.value().token.token, deadline, make_call);
}

template <typename T, typename MakeCall>
Task<Result<T>> GitHubClient::call_with_token(std::int64_t installation_id, RunnerOwner owner,
                                              Instant deadline, MakeCall make_call) {
    Result<TokenGrant> grant = co_await tokens_.token_for(installation_id, owner, deadline);
    if (!grant)
        co_return grant.error();
    Result<T> result = co_await call_github<T>(grant.value().token.token, deadline, make_call);
    if (result || result.error().kind != ErrorKind::unauthorized)
        co_return std::move(result);
    co_return co_await retry_unauthorized<T>(result.error(), std::move(grant).value(),
                                             std::move(owner), deadline, make_call);
}

Task<Result<JobStatus>> GitHubClient::get_job_status(std::int64_t installation_id,
                                                     RunnerOwner owner, std::string repo_owner,
                                                     std::string repo, std::int64_t job_id,
                                                     Instant deadline) {
    std::string used_token;  // the last token tried: whose answer tells the budget
    auto make_call = [this, repo_owner, repo, job_id, &used_token](const std::string& token) {
        used_token = token;
        return github_.get_job_status(token, repo_owner, repo, job_id);
    };
    Result<JobStatus> result = co_await call_with_token<JobStatus>(
        installation_id, std::move(owner), deadline, std::move(make_call));
    get_job_calls_.count(result ? nullptr : &result.error());
    if (auto budget = github_.core_rate_budget(used_token))
        core_budgets_[installation_id] = *budget;
    co_return std::move(result);
}

std::optional<RateBudget> GitHubClient::core_budget(std::int64_t installation_id) const {
    const auto found = core_budgets_.find(installation_id);
    if (found == core_budgets_.end() || rt_.now() >= found->second.reset)
        return std::nullopt;
    return found->second;
}

Task<Result<JitConfig>> GitHubClient::generate_jit_config(std::int64_t installation_id,
                                                          JitConfigRequest request,
                                                          Instant deadline) {
    RunnerOwner owner = request.owner;
    auto make_call = [this, request](const std::string& token) {
        return github_.generate_jit_config(token, request);
    };
    Result<JitConfig> result = co_await call_with_token<JitConfig>(
        installation_id, std::move(owner), deadline, std::move(make_call));
    jit_config_calls_.count(result ? nullptr : &result.error());
    co_return std::move(result);
}

}  // namespace scaleup
