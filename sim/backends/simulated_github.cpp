// SimulatedGitHub: the request pipeline (latency, faults, authentication, rate limits), the App's
// installations and tokens, and the GitHubPort entry points. Jobs and runners are in
// simulated_github_actions.cpp, webhooks in simulated_github_webhooks.cpp.
#include "sim/backends/simulated_github.hpp"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include <fmt/format.h>

namespace scaleup::sim {

namespace {
// Ids start large, as GitHub's do, so nothing can confuse one kind of id with a small counter.
constexpr std::int64_t kFirstInstallationId = 51'000'001;
constexpr std::int64_t kFirstJobId = 76'773'615'870;
constexpr std::int64_t kFirstRunnerId = 1'001;
constexpr std::int64_t kFirstDeliveryId = 12'077'215'967;

ServiceError bad_credentials() {
    return github_error(ErrorKind::unauthorized, "401", "Bad credentials");
}
ServiceError unauthorized_jwt(const char* message) {
    return github_error(ErrorKind::unauthorized, "401", message);
}

int success_status(GitHubEndpoint endpoint) {
    switch (endpoint) {
        case GitHubEndpoint::create_installation_token:
        case GitHubEndpoint::generate_jit_config:
            return 201;
        case GitHubEndpoint::delete_runner:
            return 204;
        case GitHubEndpoint::redeliver_hook_delivery:
            return 202;
        default:
            return 200;
    }
}
}  // namespace

SimulatedGitHub::SimulatedGitHub(Runtime& rt, Options options)
    : rt_(rt),
      options_(std::move(options)),
      random_(rt.random().fork()),
      rate_limits_(options_.rate_limits),
      next_installation_id_(kFirstInstallationId),
      jobs_(kFirstJobId),
      runners_(kFirstRunnerId),
      webhook_key_(options_.webhook_secret),
      next_attempt_id_(kFirstDeliveryId) {}

SimulatedGitHub::~SimulatedGitHub() = default;

// ---- installations ----------------------------------------------------------------------------

std::int64_t SimulatedGitHub::add_installation(std::string account, AccountType type,
                                               std::vector<std::string> repositories) {
    const std::int64_t id = next_installation_id_++;
    installations_[id] = Installation{id, std::move(account), type, std::move(repositories)};
    if (rt_.tracing())
        tracef("installed", FMT_COMPILE("installation={} account={}"), id,
               installations_[id].account);
    return id;
}

void SimulatedGitHub::suspend_installation(std::int64_t installation_id, bool suspended) {
    installations_.at(installation_id).suspended = suspended;
    if (rt_.tracing()) {
        tracef("suspended", FMT_COMPILE("installation={} suspended={}"), installation_id,
               suspended);
    }
}

std::int64_t SimulatedGitHub::reinstall(std::int64_t installation_id) {
    Installation& old = installations_.at(installation_id);
    old.removed = true;
    return add_installation(old.account, old.type, old.repositories);
}

const SimulatedGitHub::Installation* SimulatedGitHub::live_installation(
    std::int64_t installation_id) const {
    const auto it = installations_.find(installation_id);
    if (it == installations_.end() || it->second.removed)
        return nullptr;
    return &it->second;
}

// `repo` empty: an organization-level operation, which needs an organization account.
bool SimulatedGitHub::covers(std::int64_t installation_id, const std::string& owner,
                             const std::string& repo) const {
    const Installation* installation = live_installation(installation_id);
    if (!installation || installation->account != owner)
        return false;
    if (repo.empty())
        return installation->type == AccountType::organization;
    const auto& repos = installation->repositories;
    return repos.empty() || std::find(repos.begin(), repos.end(), repo) != repos.end();
}

std::int64_t SimulatedGitHub::token_installation(const std::string& token) const {
    const auto it = tokens_.find(token);
    return it == tokens_.end() ? -1 : it->second.installation_id;
}

// ---- the request pipeline ---------------------------------------------------------------------

SimulatedGitHub::Call SimulatedGitHub::send(GitHubEndpoint endpoint, std::int64_t subject) {
    Call call;
    call.endpoint = endpoint;
    call.subject = subject;
    const Duration latency = options_.latency.draw(random_);
    call.outbound = latency / 2;
    call.inbound = latency - call.outbound;
    return call;
}

// The request holds a server connection from here until its answer reaches the client: that span
// is what the concurrency limit counts.
void SimulatedGitHub::arrive(Call& call, const std::string& token) {
    if (call.subject >= 0)
        rate_limits_.request_sent(call.subject);
    ApiRequestRecord record;
    record.at = rt_.now();
    record.endpoint = call.endpoint;
    const auto it = tokens_.find(token);
    if (it != tokens_.end()) {
        record.token = it->first;
        record.installation_id = it->second.installation_id;
        record.token_expired = rt_.now() >= it->second.expires_at;
    }
    call.record = requests_.size();
    requests_.push_back(std::move(record));
}

std::optional<ServiceError> SimulatedGitHub::server_faults(Call& call) {
    if (any_active(options_.outages, rt_.now()))
        return github_error(ErrorKind::transient, "503", "Service Unavailable");
    if (!random_.chance(options_.server_error))
        return std::nullopt;
    if (random_.chance(options_.server_error_after_effect)) {
        call.fail_after_effect = true;  // the server acts, then the answer is lost in a 502
        return std::nullopt;
    }
    return github_error(ErrorKind::transient, "502", "Server Error");
}

std::optional<ServiceError> SimulatedGitHub::check_token(const Call&,
                                                         const std::string& token) const {
    const auto it = tokens_.find(token);
    if (it == tokens_.end())
        return bad_credentials();
    const TokenState& state = it->second;
    const Installation* installation = live_installation(state.installation_id);
    const Instant now = rt_.now();
    if (!installation || now >= state.expires_at || now < state.unreplicated_until)
        return bad_credentials();
    if (installation->suspended)
        return github_error(ErrorKind::forbidden, "403", "This installation has been suspended");
    return std::nullopt;
}

// GitHub's checks on the claims, in its words (service-semantics.md 1.1). GitHub's clock is the
// runtime's; `iat` and `exp` are whole epoch seconds.
std::optional<ServiceError> SimulatedGitHub::check_jwt(const AppJwtClaims& claims) const {
    if (claims.issuer != options_.app_id && claims.issuer != options_.client_id)
        return unauthorized_jwt("A JSON web token could not be decoded");
    const Instant now = rt_.now();
    if (instant_from_unix_seconds(claims.issued_at) > now + options_.iat_tolerance) {
        return unauthorized_jwt(
            "'Issued at' claim ('iat') must be an Integer representing the time that the "
            "assertion was issued");
    }
    if (instant_from_unix_seconds(claims.expires_at) > now + options_.max_jwt_lifetime)
        return unauthorized_jwt("'Expiration time' claim ('exp') is too far in the future");
    if (instant_from_unix_seconds(claims.expires_at) <= now) {
        return unauthorized_jwt(
            "'Expiration time' claim ('exp') must be a numeric value representing the future "
            "time at which the assertion expires");
    }
    return std::nullopt;
}

std::optional<ServiceError> SimulatedGitHub::charge(const Call& call) {
    if (call.subject < 0)
        return std::nullopt;
    std::optional<ServiceError> refused =
        rate_limits_.charge(call.subject, call.endpoint, rt_.now(), random_);
    if (refused && rt_.tracing()) {
        tracef("rate_limited", FMT_COMPILE("subject={} endpoint={} kind={}"), call.subject,
               to_string(call.endpoint), to_string(refused->kind));
    }
    return refused;
}

template <typename T>
Result<T> SimulatedGitHub::answer(Call& call, Result<T> result) {
    if (call.fail_after_effect)
        result = github_error(ErrorKind::transient, "502", "Server Error");
    const int status =
        result.ok() ? success_status(call.endpoint) : std::atoi(result.error().code.c_str());
    requests_[call.record].status_code = status;
    if (rt_.tracing()) {
        tracef("api", FMT_COMPILE("endpoint={} subject={} status={}"), to_string(call.endpoint),
               call.subject, status);
    }
    return result;
}

void SimulatedGitHub::finish(const Call& call) {
    if (call.subject >= 0)
        rate_limits_.request_done(call.subject);
}

template <typename T, typename Serve>
Task<Result<T>> SimulatedGitHub::token_call(GitHubEndpoint endpoint, std::string token,
                                            Serve serve) {
    Call call = send(endpoint, token_installation(token));
    co_await rt_.sleep(call.outbound);
    arrive(call, token);
    std::optional<ServiceError> refused = server_faults(call);
    if (!refused)
        refused = check_token(call, token);
    std::optional<RateLimitStatus> headers;  // x-ratelimit-*: on every answer past the token check
    if (!refused) {
        refused = charge(call);
        if (call.subject >= 0 && bucket_of(endpoint) == RateBucket::core)
            headers = rate_limits_.status(call.subject, RateBucket::core, rt_.now());
    }
    Result<T> result =
        refused ? Result<T>(std::move(*refused)) : serve(requests_[call.record].installation_id);
    result = answer(call, std::move(result));
    co_await rt_.sleep(call.inbound);
    if (headers)
        observed_budgets_[token] = RateBudget{headers->limit, headers->remaining, headers->reset};
    finish(call);
    co_return result;
}

template <typename T, typename Serve>
Task<Result<T>> SimulatedGitHub::jwt_call(GitHubEndpoint endpoint, AppJwtClaims claims,
                                          Serve serve) {
    Call call = send(endpoint, kAppSubject);
    co_await rt_.sleep(call.outbound);
    arrive(call, "");
    std::optional<ServiceError> refused = server_faults(call);
    if (!refused)
        refused = check_jwt(claims);
    if (!refused)
        refused = charge(call);
    Result<T> result = refused ? Result<T>(std::move(*refused)) : serve();
    result = answer(call, std::move(result));
    co_await rt_.sleep(call.inbound);
    finish(call);
    co_return result;
}

// ---- installation tokens ----------------------------------------------------------------------

// Remembers when each distinct JWT last arrived and how many of its requests are in flight, so an
// identical one can be recognised; old sightings are forgotten once the map grows.
void SimulatedGitHub::note_jwt_arrival(const JwtKey& key, Instant now) {
    if (jwt_sightings_.size() > 4096) {
        std::erase_if(jwt_sightings_, [&](const auto& entry) {
            return entry.second.in_flight == 0 &&
                   now - entry.second.last_arrival >= options_.identical_jwt_window;
        });
    }
    JwtSighting& sighting = jwt_sightings_[key];
    sighting.last_arrival = now;
    ++sighting.in_flight;
}

Result<InstallationToken> SimulatedGitHub::serve_mint(std::int64_t installation_id,
                                                      const AppJwtClaims&) {
    const Installation* installation = live_installation(installation_id);
    if (!installation)
        return github_error(ErrorKind::not_found, "404", "Not Found");
    if (installation->suspended)
        return github_error(ErrorKind::forbidden, "403", "This installation has been suspended");
    const Instant now = rt_.now();
    TokenState state;
    state.installation_id = installation_id;
    state.minted_at = now;
    // `expires_at` travels as an ISO 8601 time in whole seconds.
    state.expires_at = instant_from_unix_seconds(unix_seconds(now + options_.token_lifetime));
    state.unreplicated_until = now;
    if (random_.chance(options_.fresh_token_unauthorized))
        state.unreplicated_until = now + options_.fresh_token_lag;
    std::string token = fmt::format("ghs_{}", next_token_++);
    tokens_[token] = state;
    return InstallationToken{std::move(token), state.expires_at};
}

Task<Result<InstallationToken>> SimulatedGitHub::create_installation_token(
    std::int64_t installation_id, AppJwtClaims claims) {
    Call call = send(GitHubEndpoint::create_installation_token, kAppSubject);
    co_await rt_.sleep(call.outbound);
    arrive(call, "");
    const Instant now = rt_.now();
    const JwtKey key{claims.issuer, claims.issued_at, claims.expires_at, claims.jwt_id};
    const auto seen = jwt_sightings_.find(key);
    const bool identical = options_.identical_jwt_window > Duration{0} &&
                           seen != jwt_sightings_.end() &&
                           (seen->second.in_flight > 0 ||
                            now - seen->second.last_arrival < options_.identical_jwt_window);
    note_jwt_arrival(key, now);

    std::optional<ServiceError> refused = server_faults(call);
    if (!refused)
        refused = check_jwt(claims);
    if (!refused && identical)
        refused = github_error(ErrorKind::not_found, "404", "Not Found");
    if (!refused)
        refused = charge(call);
    Result<InstallationToken> result = refused ? Result<InstallationToken>(std::move(*refused))
                                               : serve_mint(installation_id, claims);
    result = answer(call, std::move(result));
    mints_.push_back(MintRecord{now, installation_id, claims, requests_[call.record].status_code,
                                result.ok() ? result.value().token : std::string()});
    if (rt_.tracing()) {
        tracef("mint", FMT_COMPILE("installation={} status={} identical_jwt={}"), installation_id,
               mints_.back().status_code, identical);
    }
    co_await rt_.sleep(call.inbound);
    --jwt_sightings_[key].in_flight;
    finish(call);
    co_return result;
}

std::size_t SimulatedGitHub::mint_count(std::int64_t installation_id) const {
    return static_cast<std::size_t>(
        std::count_if(mints_.begin(), mints_.end(), [&](const MintRecord& mint) {
            return mint.installation_id == installation_id && mint.status_code == 201;
        }));
}

RateLimitStatus SimulatedGitHub::rate_limit(std::int64_t subject, RateBucket bucket) const {
    return rate_limits_.status(subject, bucket, rt_.now());
}

std::optional<RateBudget> SimulatedGitHub::core_rate_budget(const std::string& token) const {
    const auto seen = observed_budgets_.find(token);
    if (seen == observed_budgets_.end())
        return std::nullopt;
    return seen->second;
}

Result<std::int64_t> SimulatedGitHub::serve_find_installation(const RunnerOwner& owner) const {
    for (const auto& [id, installation] : installations_) {
        if (!installation.removed && covers(id, owner.owner, owner.repo))
            return id;
    }
    return github_error(ErrorKind::not_found, "404", "Not Found");
}

// ---- GitHubPort entry points: each hands its operation to the pipeline ------------------------

Task<Result<std::int64_t>> SimulatedGitHub::find_installation(RunnerOwner owner,
                                                              AppJwtClaims claims) {
    auto serve = [this, owner = std::move(owner)] { return serve_find_installation(owner); };
    return jwt_call<std::int64_t>(GitHubEndpoint::find_installation, std::move(claims),
                                  std::move(serve));
}

Task<Result<JobStatus>> SimulatedGitHub::get_job_status(std::string token, std::string owner,
                                                        std::string repo, std::int64_t job_id) {
    auto serve = [this, owner = std::move(owner), repo = std::move(repo),
                  job_id](std::int64_t installation_id) {
        return serve_job_status(installation_id, owner, repo, job_id);
    };
    return token_call<JobStatus>(GitHubEndpoint::get_job, std::move(token), std::move(serve));
}

Task<Result<JitConfig>> SimulatedGitHub::generate_jit_config(std::string token,
                                                             JitConfigRequest request) {
    auto serve = [this, request = std::move(request)](std::int64_t installation_id) {
        return serve_jit_config(installation_id, request);
    };
    return token_call<JitConfig>(GitHubEndpoint::generate_jit_config, std::move(token),
                                 std::move(serve));
}

Task<Result<std::vector<QueuedJob>>> SimulatedGitHub::list_queued_jobs(std::string token,
                                                                       RunnerOwner owner) {
    auto serve = [this, owner = std::move(owner)](std::int64_t installation_id) {
        return serve_queued_jobs(installation_id, owner);
    };
    return token_call<std::vector<QueuedJob>>(GitHubEndpoint::list_queued_jobs, std::move(token),
                                              std::move(serve));
}

Task<Result<std::vector<RunnerInfo>>> SimulatedGitHub::list_runners(std::string token,
                                                                    RunnerOwner owner) {
    auto serve = [this, owner = std::move(owner)](std::int64_t installation_id) {
        return serve_list_runners(installation_id, owner);
    };
    return token_call<std::vector<RunnerInfo>>(GitHubEndpoint::list_runners, std::move(token),
                                               std::move(serve));
}

Task<Status> SimulatedGitHub::delete_runner(std::string token, RunnerOwner owner,
                                            std::int64_t runner_id) {
    auto serve = [this, owner = std::move(owner), runner_id](std::int64_t installation_id) {
        return serve_delete_runner(installation_id, owner, runner_id);
    };
    return token_call<Done>(GitHubEndpoint::delete_runner, std::move(token), std::move(serve));
}

Task<Result<HookDeliveryPage>> SimulatedGitHub::list_hook_deliveries(AppJwtClaims claims,
                                                                     std::string cursor) {
    auto serve = [this, cursor = std::move(cursor)] { return serve_hook_deliveries(cursor); };
    return jwt_call<HookDeliveryPage>(GitHubEndpoint::list_hook_deliveries, std::move(claims),
                                      std::move(serve));
}

Task<Status> SimulatedGitHub::redeliver_hook_delivery(AppJwtClaims claims,
                                                      std::int64_t delivery_id) {
    auto serve = [this, delivery_id] { return serve_redelivery(delivery_id); };
    return jwt_call<Done>(GitHubEndpoint::redeliver_hook_delivery, std::move(claims),
                          std::move(serve));
}

}  // namespace scaleup::sim
