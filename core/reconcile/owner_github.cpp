#include "core/reconcile/owner_github.hpp"

#include <utility>

#include "core/github/github_call_metric.hpp"

namespace scaleup {

RunnerOwner parse_owner(const std::string& text) {
    const auto slash = text.find('/');
    if (slash == std::string::npos)
        return RunnerOwner{text, ""};
    return RunnerOwner{text.substr(0, slash), text.substr(slash + 1)};
}

RunnerOwner runner_owner_of(const ScaleUpConfig& config, const std::string& owner,
                            const std::string& repo) {
    return config.org_runners ? RunnerOwner{owner, ""} : RunnerOwner{owner, repo};
}

OwnerGitHub::OwnerGitHub(Runtime& rt, GitHubPort& github, InstallationTokenCache& tokens,
                         const ScaleUpConfig& config, MetricsRegistry& metrics)
    : rt_(rt), github_(github), tokens_(tokens), config_(config), metrics_(metrics) {}

template <typename T, typename MakeCall>
Task<Result<T>> OwnerGitHub::call(RunnerOwner owner, Instant deadline, const char* name,
                                  std::int64_t* installation_id, MakeCall make_call) {
    Result<TokenGrant> grant = co_await tokens_.token_for(0, owner, deadline);
    if (!grant) {
        count_github_call(metrics_, name, &grant.error());
        co_return grant.error();
    }
    if (installation_id != nullptr)
        *installation_id = grant.value().installation_id;
    const std::string token = grant.value().token.token;
    Result<T> result = co_await with_retries<T>(rt_, github_retry_rules(config_), deadline,
                                                [&make_call, &token] { return make_call(token); });
    if (!result && result.error().kind == ErrorKind::unauthorized)
        tokens_.invalidate(grant.value().installation_id, token);  // the next run mints anew
    count_github_call(metrics_, name, result ? nullptr : &result.error());
    co_return std::move(result);
}

Task<Result<QueuedJobs>> OwnerGitHub::list_queued_jobs(RunnerOwner owner, Instant deadline) {
    auto make_call = [this, owner](const std::string& token) {
        return github_.list_queued_jobs(token, owner);
    };
    std::int64_t installation_id = 0;
    Result<std::vector<QueuedJob>> jobs = co_await call<std::vector<QueuedJob>>(
        owner, deadline, "list_queued_jobs", &installation_id, std::move(make_call));
    if (!jobs)
        co_return jobs.error();
    co_return QueuedJobs{std::move(jobs).value(), installation_id};
}

Task<Result<std::vector<RunnerInfo>>> OwnerGitHub::list_runners(RunnerOwner owner,
                                                                Instant deadline) {
    auto make_call = [this, owner](const std::string& token) {
        return github_.list_runners(token, owner);
    };
    co_return co_await call<std::vector<RunnerInfo>>(owner, deadline, "list_runners", nullptr,
                                                     std::move(make_call));
}

Task<Status> OwnerGitHub::delete_runner(RunnerOwner owner, std::int64_t runner_id,
                                        Instant deadline) {
    auto make_call = [this, owner, runner_id](const std::string& token) {
        return github_.delete_runner(token, owner, runner_id);
    };
    co_return co_await call<Done>(owner, deadline, "delete_runner", nullptr, std::move(make_call));
}

}  // namespace scaleup
