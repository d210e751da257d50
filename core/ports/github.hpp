// GitHubPort: the GitHub App API calls the control plane makes.
//
// The core decides the JWT claims (so `iat` backdating and the unique `jti` are core policy, tested
// in simulation); the adapter signs them with the App's RS256 key. HTTP, JSON and headers stay in
// the adapter: a rate limit comes back as ErrorKind::rate_limited with `retry_at` set from
// `x-ratelimit-reset`, a secondary limit as secondary_rate_limited with `retry_at` from
// `retry-after` when GitHub sent one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/common/identifier.hpp"
#include "core/common/result.hpp"
#include "core/runtime/task.hpp"
#include "core/runtime/time.hpp"

namespace scaleup {

/// Claims of a GitHub App JWT, in Unix seconds.
struct AppJwtClaims {
    std::string issuer;  // App id or client id
    std::int64_t issued_at = 0;
    std::int64_t expires_at = 0;
    std::string jwt_id;  // jti: unique, so two mints in one second never send identical JWTs
};

struct InstallationToken {
    std::string token;
    Instant expires_at{};
};

/// Whose runners these are: an organization, or one repository (repo-level runners).
struct RunnerOwner {
    std::string owner;  // organization or user login
    std::string repo;   // empty for organization-level runners
    bool is_org_level() const { return repo.empty(); }
    std::string key() const { return repo.empty() ? owner : owner + "/" + repo; }
    friend bool operator==(const RunnerOwner&, const RunnerOwner&) = default;
    friend auto operator<=>(const RunnerOwner&, const RunnerOwner&) = default;
};

/// A job's status as GET .../actions/jobs/{id} gives it. `completed_never_ran` is `completed` with
/// no runner ever assigned (`runner_id` null): cancelled, skipped or expired while queued. Such a
/// job consumed no runner, which is what the queued check must tell apart (core.md rule 7).
enum class JobStatus { queued, in_progress, completed, waiting, other, completed_never_ran };

/// GitHub's primary rate limit is a budget per hour, from an installation's first request.
inline constexpr Duration kPrimaryRateWindow = hours(1);

/// An installation's primary (`core`) rate budget, as the `x-ratelimit-*` headers of an answer
/// gave it.
struct RateBudget {
    std::int64_t limit = 0;
    std::int64_t remaining = 0;
    Instant reset{};  // x-ratelimit-reset: the budget is whole again from then on
};

struct JitConfigRequest {
    RunnerOwner owner;
    std::string runner_name;
    std::int64_t runner_group_id = 1;
    std::vector<std::string> labels;
};

struct JitConfig {
    std::int64_t runner_id = 0;
    std::string encoded_jit_config;
};

/// A queued job as the reconciler sees it (GET .../actions/runs?status=queued, then its jobs).
struct QueuedJob {
    std::int64_t job_id = 0;
    std::int64_t run_id = 0;
    std::string owner;
    std::string repo;
    std::vector<std::string> labels;
    Instant created_at{};
};

/// A self-hosted runner registered with GitHub (GET .../actions/runners).
struct RunnerInfo {
    std::int64_t id = 0;
    Identifier name;
    bool online = false;
    bool busy = false;
};

/// One attempt in the App's webhook delivery log (GET /app/hook/deliveries), newest first.
struct HookDelivery {
    std::int64_t id = 0;  // this attempt
    Identifier guid;      // X-GitHub-Delivery, shared by redeliveries
    Instant delivered_at{};
    bool redelivery = false;
    int status_code = 0;  // 0 when the connection failed or timed out
    std::string status;   // "OK" on success
    std::string event;    // "workflow_job"
    std::string action;   // "queued"
};

struct HookDeliveryPage {
    std::vector<HookDelivery> deliveries;
    std::string next_cursor;  // empty on the last page
};

class GitHubPort {
  public:
    virtual ~GitHubPort() = default;
    /// POST /app/installations/{id}/access_tokens with a JWT built from `claims`.
    virtual Task<Result<InstallationToken>> create_installation_token(std::int64_t installation_id,
                                                                      AppJwtClaims claims) = 0;
    /// GET /orgs/{org}/installation or /repos/{owner}/{repo}/installation.
    virtual Task<Result<std::int64_t>> find_installation(RunnerOwner owner,
                                                         AppJwtClaims claims) = 0;
    /// GET /repos/{owner}/{repo}/actions/jobs/{job_id}.
    virtual Task<Result<JobStatus>> get_job_status(std::string token, std::string owner,
                                                   std::string repo, std::int64_t job_id) = 0;
    /// The core budget as the latest answer to a request made with `token` gave it (every token
    /// of an installation shares its budget); nullopt before any. Remembered from responses,
    /// never a request of its own, so it costs nothing. Ports that cannot tell return nullopt.
    virtual std::optional<RateBudget> core_rate_budget(const std::string& token) const {
        (void)token;
        return std::nullopt;
    }
    /// POST .../actions/runners/generate-jitconfig.
    virtual Task<Result<JitConfig>> generate_jit_config(std::string token,
                                                        JitConfigRequest request) = 0;

    // ---- reconciliation, scale-down and the delivery sweeper (issue 4) ----------------------
    /// Jobs GitHub reports as queued for this owner (org: all its repositories).
    virtual Task<Result<std::vector<QueuedJob>>> list_queued_jobs(std::string token,
                                                                  RunnerOwner owner) = 0;
    /// Self-hosted runners registered for this owner.
    virtual Task<Result<std::vector<RunnerInfo>>> list_runners(std::string token,
                                                               RunnerOwner owner) = 0;
    /// DELETE .../actions/runners/{id}.
    virtual Task<Status> delete_runner(std::string token, RunnerOwner owner,
                                       std::int64_t runner_id) = 0;
    /// GET /app/hook/deliveries?per_page=100&cursor=... (JWT auth).
    virtual Task<Result<HookDeliveryPage>> list_hook_deliveries(AppJwtClaims claims,
                                                                std::string cursor) = 0;
    /// POST /app/hook/deliveries/{id}/attempts (JWT auth): 202 on success.
    virtual Task<Status> redeliver_hook_delivery(AppJwtClaims claims, std::int64_t delivery_id) = 0;
};

}  // namespace scaleup
