// SimulatedGitHub: GitHub as the control plane, its runners and its webhook receiver meet it
// (service-semantics.md section 1). It serves GitHubPort to the core, RunnerService to the runner
// agents on simulated instances, and sends workflow_job webhooks to the intake endpoint.
//
// Fault model (what it can do wrong, and the knob):
// - Every API call takes a drawn `latency`; the server acts half-way, so a caller that times out
//   may still have changed GitHub's state.
// - `server_error`: a 502 (ErrorKind::transient); a share `server_error_after_effect` of them comes
//   after the server acted (a JIT runner was created, a token minted, yet the caller sees 502).
//   `outages`: every call answers 503 inside the windows, acting on nothing.
// - App JWTs (no signature in simulation; GitHub's checks on the claims): issuer other than the
//   App id or client id, `iat` in GitHub's future beyond `iat_tolerance`, `exp` more than
//   `max_jwt_lifetime` (600 s) ahead of GitHub's clock or already past: 401 with GitHub's words.
//   GitHub's clock is the runtime's; the core's skew is modelled by skewing the core's clock.
// - Identical JWTs (same iss, iat, exp and jti) on two mints in flight together, or within
//   `identical_jwt_window` of each other: the later mint gets a transient 404 (upstream #5025). A
//   unique jti avoids it.
// - Installation tokens live `token_lifetime` (1 h); an expired, revoked or unknown token is 401
//   "Bad credentials". A share `fresh_token_unauthorized` of fresh tokens is 401 for
//   `fresh_token_lag` after the mint (replication lag, octokit/auth-app.js#65).
// - Suspended installation: 403 "This installation has been suspended" to mints and token calls.
//   Unknown or uninstalled installation (see `reinstall`): 404. A token used for an owner or repo
//   its installation does not cover: 404.
// - Rate limits (github_rate_limits.hpp): primary per installation per hour (403 rate_limited,
//   retry_at = x-ratelimit-reset); secondary for concurrency and points per minute (403
//   secondary_rate_limited, retry_at from a retry-after that is sometimes missing). Every answer
//   to a token request past the token check carries the core budget's x-ratelimit-* headers,
//   which `core_rate_budget` reports once the answer has reached the client.
// - JIT configs: single-use; a name already taken for the owner is 409; bad input 422.
// - Jobs are not bound to runners: GitHub gives the oldest queued job to any idle online runner
//   whose labels cover the job's. Jobs queued longer than `queue_timeout` (24 h) are cancelled.
// - Webhooks: one delivery per job transition, after a drawn `webhook_latency` each, so deliveries
//   can arrive out of order. Intake must answer 2xx within `intake_timeout` (10 s); otherwise the
//   attempt is logged as failed and NEVER retried by GitHub. `intake_unreachable`: every delivery
//   in the windows fails with 502 without reaching intake (tuist's 30-minute incident).
//   Redelivery (API) re-sends the same GUID and body within `redelivery_window` (3 days), else 422.
// Simplifications: a lost runner's job fails at once (any real delay is not modelled); a cancelled
// running job keeps its runner busy until the agent reports the end; no `waiting` (environment
// approval) state; no legacy sha1 `x-hub-signature`.
// What the core must tolerate: all of the above. Retry 5xx and transient 404s, never trust a 201
// it did not see, wait for rate-limit resets, use unique jti, re-mint expired tokens, treat a
// suspended installation as permanent, and recover deliveries GitHub will not resend itself.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/common/lookup_table.hpp"
#include "core/intake/hmac_sha256.hpp"
#include "core/intake/webhook_delivery.hpp"
#include "core/ports/github.hpp"
#include "core/runtime/runtime.hpp"
#include "sim/backends/dense_records.hpp"
#include "sim/backends/github_rate_limits.hpp"
#include "sim/backends/runner_service.hpp"
#include "sim/backends/sim_common.hpp"
#include "sim/backends/workflow_job_payload.hpp"

namespace scaleup::sim {

/// An error as GitHub's REST API answers it: its status code and message.
inline ServiceError github_error(ErrorKind kind, const char* code, std::string message) {
    return make_error(kind, "github", code, std::move(message));
}

enum class AccountType { organization, user };

struct SimulatedGitHubOptions {
    std::string app_id = "1";
    std::string client_id = "Iv1.simulated";  // also accepted as the JWT issuer
    /// Signs every delivery's `x-hub-signature-256`; read when the event happens (rotation).
    std::string webhook_secret = "simulated webhook secret";

    // API faults
    LatencyRange latency{milliseconds(20), milliseconds(200)};
    Ratio server_error = Ratio::never();
    Ratio server_error_after_effect = {1, 2};
    std::vector<FaultWindow> outages;

    // App JWTs and installation tokens
    Duration iat_tolerance = seconds(1);
    Duration max_jwt_lifetime = seconds(600);
    Duration identical_jwt_window = seconds(1);  // zero: identical JWTs never collide
    Duration token_lifetime = hours(1);
    Ratio fresh_token_unauthorized = Ratio::never();
    Duration fresh_token_lag = seconds(3);

    GitHubRateLimitOptions rate_limits;

    // Actions
    Duration queue_timeout = hours(24);

    // Webhooks
    LatencyRange webhook_latency{milliseconds(100), seconds(2)};
    Duration intake_timeout = seconds(10);
    std::vector<FaultWindow> intake_unreachable;
    Duration redelivery_window = hours(72);
    std::size_t deliveries_per_page = 100;
};

class SimulatedGitHub final : public GitHubPort, public RunnerService {
  public:
    using Options = SimulatedGitHubOptions;
    using Intake = std::function<Task<WebhookResponse>(WebhookDelivery)>;

    struct Installation {
        std::int64_t id = 0;
        std::string account;
        AccountType type = AccountType::organization;
        std::vector<std::string> repositories;  // empty: all repositories
        bool suspended = false;
        bool removed = false;  // uninstalled: its id is unknown to GitHub now
    };

    /// One job as GitHub knows it; checkers read these.
    struct JobRecord {
        std::int64_t id = 0;
        std::int64_t run_id = 0;
        std::string owner;
        std::string repo;
        std::vector<std::string> labels;
        std::vector<std::string> label_set;  // labels normalised once: matched against every runner
        Duration duration{};
        std::int64_t installation_id = 0;
        JobStatus status = JobStatus::queued;
        std::string conclusion;         // "success", "failure", "cancelled"; empty until completed
        bool expired_in_queue = false;  // cancelled by GitHub after `queue_timeout`
        Instant queued_at{};
        std::optional<Instant> started_at;
        std::optional<Instant> completed_at;
        std::int64_t runner_id = 0;  // its runner's name is in runners()
        // Given out when its first webhook is written (0 until then), and never changed.
        std::int64_t owner_id = 0;
        std::int64_t repository_id = 0;
    };

    struct RunnerRecord {
        std::int64_t id = 0;
        std::string name;
        RunnerOwner owner;
        std::vector<std::string> labels;
        std::vector<std::string> label_set;  // labels normalised once: matched against every job
        std::int64_t group_id = 1;
        std::int64_t installation_id = 0;  // whose token created it
        std::string encoded_jit_config;
        bool config_used = false;
        Identifier instance_id;  // who registered with the config
        bool online = false;
        bool busy = false;
        bool deleted = false;  // removed from GitHub (ephemeral after its job, or deleted)
        std::int64_t job_id = 0;
        Instant created_at{};
        std::optional<Instant> registered_at;
    };

    /// One POST .../access_tokens that reached GitHub.
    struct MintRecord {
        Instant at{};
        std::int64_t installation_id = 0;
        AppJwtClaims claims;
        int status_code = 0;
        std::string token;  // the minted token, when 201
    };

    /// One API request that reached GitHub, for the token hygiene checker.
    struct ApiRequestRecord {
        Instant at{};
        GitHubEndpoint endpoint = GitHubEndpoint::get_job;
        std::int64_t installation_id = 0;  // the token's; 0 for JWT requests or unknown tokens
        // The token as GitHub issued it (a view of its key in tokens_, which never erases one);
        // empty for JWT requests and for tokens GitHub never issued. A day makes 150,000
        // requests with a handful of tokens: a copy each was most of the record.
        std::string_view token;
        bool token_expired = false;  // past its expiry when it reached GitHub
        int status_code = 0;
    };

    /// One workflow_job event; every delivery attempt of it sends these bytes.
    struct WebhookPayload {
        Identifier guid;
        std::string_view action;  // "queued", "in_progress" or "completed"
        std::int64_t job_id = 0;
        std::int64_t installation_id = 0;
        Instant created_at{};
        // The job as it was at the transition: what changes as it moves, and the ids its owner
        // and repository had then. The rest (owner, repository, labels, run) is in its record,
        // which never changes. The signed body and headers are written from both at each
        // attempt, the same bytes every time: keeping bodies for every payload of a day held
        // hundreds of megabytes, and whole job events a third of a day's memory.
        JobStatus status = JobStatus::queued;
        std::string conclusion;
        std::optional<Instant> started_at;
        std::optional<Instant> completed_at;
        std::int64_t runner_id = 0;  // its name is the runner's record's
        std::int64_t owner_id = 0;
        std::int64_t repository_id = 0;
        bool owner_is_organization = true;
    };

    /// One attempt in the App's delivery log. Its GUID, event and action are its payload's: a
    /// day logs 150,000 attempts, and a copy of each per attempt was a twentieth of its memory.
    /// `hook_delivery` gives it as the API lists it.
    struct DeliveryAttempt {
        std::int64_t id = 0;
        std::size_t payload = 0;  // index into payloads()
        Instant delivered_at{};
        Duration duration{};
        int status_code = 0;  // 0 when the connection failed or timed out
        bool redelivery = false;
        std::string status;  // "OK" on success
    };

    SimulatedGitHub(Runtime& rt, Options options = {});
    ~SimulatedGitHub() override;
    SimulatedGitHub(const SimulatedGitHub&) = delete;
    SimulatedGitHub& operator=(const SimulatedGitHub&) = delete;

    // ---- the world's controls (not GitHub API) ---------------------------------------------
    std::int64_t add_installation(std::string account, AccountType type = AccountType::organization,
                                  std::vector<std::string> repositories = {});
    void suspend_installation(std::int64_t installation_id, bool suspended = true);
    /// Uninstalls and installs the App again: a new id; the old id is 404 and its tokens 401.
    std::int64_t reinstall(std::int64_t installation_id);
    void set_intake(Intake intake) { intake_ = std::move(intake); }
    /// A workflow run queues one job; GitHub sends `queued` and offers it to idle runners.
    std::int64_t queue_job(std::string owner, std::string repo, std::vector<std::string> labels,
                           Duration duration, std::int64_t installation_id);
    /// A user cancels the job (queued or running): completed with conclusion cancelled.
    void cancel_job(std::int64_t job_id);
    /// Knobs may be changed between events (e.g. add an outage window); the rate limits are
    /// read once, at construction.
    Options& options() { return options_; }
    /// The drain's heal: 5xx and fresh-token 401s stop.
    void heal_rate_faults() {
        options_.server_error = options_.fresh_token_unauthorized = Ratio::never();
    }

    // ---- GitHubPort -----------------------------------------------------------------------
    Task<Result<InstallationToken>> create_installation_token(std::int64_t installation_id,
                                                              AppJwtClaims claims) override;
    Task<Result<std::int64_t>> find_installation(RunnerOwner owner, AppJwtClaims claims) override;
    Task<Result<JobStatus>> get_job_status(std::string token, std::string owner, std::string repo,
                                           std::int64_t job_id) override;
    std::optional<RateBudget> core_rate_budget(const std::string& token) const override;
    Task<Result<JitConfig>> generate_jit_config(std::string token,
                                                JitConfigRequest request) override;
    Task<Result<std::vector<QueuedJob>>> list_queued_jobs(std::string token,
                                                          RunnerOwner owner) override;
    Task<Result<std::vector<RunnerInfo>>> list_runners(std::string token,
                                                       RunnerOwner owner) override;
    Task<Status> delete_runner(std::string token, RunnerOwner owner,
                               std::int64_t runner_id) override;
    Task<Result<HookDeliveryPage>> list_hook_deliveries(AppJwtClaims claims,
                                                        std::string cursor) override;
    Task<Status> redeliver_hook_delivery(AppJwtClaims claims, std::int64_t delivery_id) override;

    // ---- RunnerService --------------------------------------------------------------------
    Task<Result<std::int64_t>> register_jit_runner(std::string encoded_jit_config,
                                                   Identifier instance_id) override;
    Task<std::optional<AssignedJob>> wait_for_job(std::int64_t runner_id,
                                                  Duration max_wait) override;
    void job_finished(std::int64_t runner_id, std::int64_t job_id) override;
    void runner_lost(std::int64_t runner_id) override;

    // ---- observability (checkers, tests) ----------------------------------------------------
    const DenseRecords<JobRecord>& jobs() const { return jobs_; }
    const JobRecord* job(std::int64_t job_id) const;
    const DenseRecords<RunnerRecord>& runners() const { return runners_; }
    const RunnerRecord* runner(std::int64_t runner_id) const;
    const std::map<std::int64_t, Installation>& installations() const { return installations_; }
    const std::vector<MintRecord>& mints() const { return mints_; }
    /// Tokens minted (201) for the installation.
    std::size_t mint_count(std::int64_t installation_id) const;
    const std::vector<ApiRequestRecord>& requests() const { return requests_; }
    /// The delivery log, oldest attempt first (the API lists it newest first).
    const std::vector<DeliveryAttempt>& delivery_attempts() const { return attempts_; }
    /// An attempt as the delivery log API lists it.
    HookDelivery hook_delivery(const DeliveryAttempt& attempt) const;
    const std::deque<WebhookPayload>& payloads() const { return payloads_; }
    /// What `x-ratelimit-*` would say now (installation id, or kAppSubject for JWT requests).
    RateLimitStatus rate_limit(std::int64_t subject, RateBucket bucket) const;

  private:
    /// One API request from send to answer.
    struct Call {
        GitHubEndpoint endpoint = GitHubEndpoint::get_job;
        std::int64_t subject = -1;  // rate-limit subject; -1 for an unknown token
        Duration outbound{};        // client to server
        Duration inbound{};         // server to client
        std::size_t record = 0;     // index into requests_
        bool fail_after_effect = false;
    };
    struct TokenState {
        std::int64_t installation_id = 0;
        Instant minted_at{};
        Instant expires_at{};
        Instant unreplicated_until{};  // 401 before this (fresh-token fault)
    };
    using JwtKey = std::tuple<std::string, std::int64_t, std::int64_t, std::string>;
    struct JwtSighting {
        Instant last_arrival{};
        int in_flight = 0;
    };
    /// A runner agent's long poll: resumed on assignment or at its deadline.
    struct JobWait {
        std::coroutine_handle<> handle;
        TimerId timer = 0;
        bool woken = false;
        std::int64_t job_id = 0;  // 0: woken without a job (runner lost or deleted)
    };
    struct JobWaitAwaiter {
        Runtime& rt;
        JobWait& wait;
        Instant deadline;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h) {
            wait.handle = h;
            wait.timer = rt.schedule(deadline, h);
        }
        void await_resume() const noexcept {}
    };

    // request pipeline (simulated_github.cpp)
    template <typename T, typename Serve>
    Task<Result<T>> token_call(GitHubEndpoint endpoint, std::string token, Serve serve);
    template <typename T, typename Serve>
    Task<Result<T>> jwt_call(GitHubEndpoint endpoint, AppJwtClaims claims, Serve serve);
    Call send(GitHubEndpoint endpoint, std::int64_t subject);
    void arrive(Call& call, const std::string& token);
    std::optional<ServiceError> server_faults(Call& call);
    std::optional<ServiceError> check_token(const Call& call, const std::string& token) const;
    std::optional<ServiceError> check_jwt(const AppJwtClaims& claims) const;
    std::optional<ServiceError> charge(const Call& call);
    template <typename T>
    Result<T> answer(Call& call, Result<T> result);
    void finish(const Call& call);
    std::int64_t token_installation(const std::string& token) const;
    const Installation* live_installation(std::int64_t installation_id) const;
    bool covers(std::int64_t installation_id, const std::string& owner,
                const std::string& repo) const;
    Result<InstallationToken> serve_mint(std::int64_t installation_id, const AppJwtClaims& claims);
    Result<std::int64_t> serve_find_installation(const RunnerOwner& owner) const;
    void note_jwt_arrival(const JwtKey& key, Instant now);

    // jobs and runners (simulated_github_actions.cpp)
    Result<JobStatus> serve_job_status(std::int64_t installation_id, const std::string& owner,
                                       const std::string& repo, std::int64_t job_id) const;
    Result<JitConfig> serve_jit_config(std::int64_t installation_id,
                                       const JitConfigRequest& request);
    Result<std::vector<QueuedJob>> serve_queued_jobs(std::int64_t installation_id,
                                                     const RunnerOwner& owner);
    Result<std::vector<RunnerInfo>> serve_list_runners(std::int64_t installation_id,
                                                       const RunnerOwner& owner) const;
    Status serve_delete_runner(std::int64_t installation_id, const RunnerOwner& owner,
                               std::int64_t runner_id);
    /// The runner is deleted: GitHub lists it no more and its name is free again.
    void forget_active(const RunnerRecord& runner);
    bool runner_takes(const RunnerRecord& runner, const JobRecord& job) const;
    JobRecord* oldest_job_for(const RunnerRecord& runner);
    void start_job(JobRecord& job, RunnerRecord& runner);
    void complete_job(JobRecord& job, const char* conclusion);
    void offer_to_waiting_runners(JobRecord& job);
    void wake(std::int64_t runner_id, std::int64_t job_id);
    void leave_queue(std::int64_t job_id);
    /// The owner account's queued jobs, oldest first; null when it has none.
    const std::map<std::int64_t, JobRecord*>* queued_for(std::string_view owner) const;
    void watch_queue_timeouts();
    Task<void> expire_queued_jobs();

    // webhooks (simulated_github_webhooks.cpp)
    void emit(JobRecord& job, const char* action);
    Task<void> deliver(std::size_t payload, bool redelivery);
    /// The request GitHub sends for a payload: its body, signed, and the headers.
    WebhookDelivery request_of(const WebhookPayload& payload);
    /// The event a payload's body is written from: its job's record and its own snapshot.
    WorkflowJobEvent event_of(const WebhookPayload& payload) const;
    void log_attempt(std::size_t payload, bool redelivery, Instant sent, int status_code,
                     std::string status);
    Result<HookDeliveryPage> serve_hook_deliveries(const std::string& cursor) const;
    Status serve_redelivery(std::int64_t delivery_id);
    Identifier new_guid();
    std::int64_t account_id(const std::string& login);
    std::int64_t repository_id(const std::string& owner, const std::string& repo);
    AccountType account_type(const std::string& login) const;

    template <typename CompiledFormat, typename... Args>
    void tracef(const char* event, const CompiledFormat& fields, Args&&... args) {
        rt_.tracef("github", event, fields, std::forward<Args>(args)...);
    }

    Runtime& rt_;
    Options options_;
    Random random_;
    GitHubRateLimits rate_limits_;
    Intake intake_;

    std::map<std::int64_t, Installation> installations_;
    std::int64_t next_installation_id_;
    std::map<std::string, TokenState> tokens_;
    // Token -> the core budget its latest answer's headers gave, as the client saw it.
    std::map<std::string, RateBudget> observed_budgets_;
    std::int64_t next_token_ = 1;
    std::map<JwtKey, JwtSighting> jwt_sightings_;

    DenseRecords<JobRecord> jobs_;
    // Queued jobs, oldest first, with their records (jobs_ never erases one): a runner looking
    // for work walks this list, and a lookup in jobs_ per queued job was most of its cost.
    std::map<std::int64_t, JobRecord*> queued_;
    // The same jobs by owner account. A runner takes only its owner's jobs, and the reconciler
    // lists one owner's: walking every queued job for them was a scan of other owners' backlogs
    // (a suspended installation's jobs wait all run long), a cache miss per job.
    std::map<std::string, std::map<std::int64_t, JobRecord*>, std::less<>> queued_by_owner_;
    bool queue_watch_running_ = false;  // expire_queued_jobs is waiting for the oldest's timeout
    DenseRecords<RunnerRecord> runners_;
    // runners_ not deleted (what GitHub lists), by owner: a day registers 50,000 runners, and
    // scale-down lists one owner's every minute.
    std::map<RunnerOwner, std::set<std::int64_t>> active_runners_;
    // The (owner, name) of each active runner, as active_name_key: a name is unique per owner
    // among them. Hashed: it is only asked about one name, and a tree compared names that share
    // their prefix at every level, a cache miss each.
    LookupSet<std::string> active_names_;
    std::vector<std::int64_t> waiting_;       // idle runners polling, in wait order
    std::map<std::int64_t, JobWait*> waits_;  // runner id -> its poll

    std::vector<MintRecord> mints_;
    std::vector<ApiRequestRecord> requests_;
    std::deque<WebhookPayload> payloads_;  // a deque: a day holds 150,000, never moved
    HmacSha256 webhook_key_;               // from options_.webhook_secret
    WorkflowJobPayloadWriter payload_writer_;
    std::vector<DeliveryAttempt> attempts_;
    std::int64_t next_attempt_id_;
    std::map<std::string, std::int64_t> account_ids_;
    std::map<std::string, std::int64_t> repository_ids_;
};

}  // namespace scaleup::sim
