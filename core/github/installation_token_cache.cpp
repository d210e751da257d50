#include "core/github/installation_token_cache.hpp"

#include <utility>

#include <fmt/format.h>

namespace scaleup {

namespace {
constexpr const char* kMintsMetric = "scaleup_github_token_mints_total";
constexpr const char* kLookupsMetric = "scaleup_github_token_cache_total";
// GitHub rejects an `exp` more than 600 s after `iat` or ahead of its own clock; backdating `iat`
// by 60 s absorbs our clock running ahead, and `exp = now + 540` keeps exp - iat at exactly 600 s
// while staying well inside GitHub's limit if our clock runs a second fast (gh-app-auth #58).
constexpr std::int64_t kIssuedAtBackdateSeconds = 60;
constexpr std::int64_t kExpiresAfterNowSeconds = 540;
}  // namespace

InstallationTokenCache::InstallationTokenCache(Runtime& rt, GitHubPort& github,
                                               const ScaleUpConfig& config,
                                               MetricsRegistry& metrics)
    : rt_(rt),
      github_(github),
      config_(config),
      metrics_(metrics),
      lookup_hits_(metrics, kLookupsMetric, {{"result", "hit"}}),
      lookup_joins_(metrics, kLookupsMetric, {{"result", "joined"}}),
      lookup_misses_(metrics, kLookupsMetric, {{"result", "miss"}}) {}

AppJwtClaims InstallationTokenCache::make_claims() {
    const std::int64_t now = unix_seconds(rt_.now());
    // 128 random bits: two JWTs signed in the same second must differ (upstream #5025).
    const std::uint64_t high = rt_.random().next_u64();
    const std::uint64_t low = rt_.random().next_u64();
    return AppJwtClaims{config_.app_id, now - kIssuedAtBackdateSeconds,
                        now + kExpiresAfterNowSeconds, fmt::format("{:016x}{:016x}", high, low)};
}

Task<Result<TokenGrant>> InstallationTokenCache::token_for(std::int64_t installation_id,
                                                           RunnerOwner owner, Instant deadline) {
    if (installation_id == 0) {
        Result<std::int64_t> resolved = co_await resolve_owner(owner, deadline);
        if (!resolved)
            co_return resolved.error();
        installation_id = resolved.value();
    }
    installation_id = current_id(installation_id);
    // The hit, nearly every call, is answered here: one coroutine frame instead of two.
    if (const TokenGrant* cached = usable_token(installation_id)) {
        lookup_hits_.increment();
        co_return *cached;
    }
    co_return co_await mint_or_join(installation_id, std::move(owner), deadline);
}

void InstallationTokenCache::invalidate(std::int64_t installation_id) {
    tokens_.erase(current_id(installation_id));
}

void InstallationTokenCache::invalidate(std::int64_t installation_id,
                                        const std::string& rejected_token) {
    const auto it = tokens_.find(current_id(installation_id));
    if (it != tokens_.end() && it->second.token.token == rejected_token)
        tokens_.erase(it);
}

Task<Result<std::int64_t>> InstallationTokenCache::resolve_owner(RunnerOwner owner,
                                                                 Instant deadline) {
    const auto known = owner_installs_.find(owner);
    if (known != owner_installs_.end())
        co_return known->second;
    if (auto flight = resolves_.find(owner)) {
        co_return co_await SingleFlight<RunnerOwner, std::int64_t>::join(rt_, std::move(flight),
                                                                         deadline);
    }
    resolves_.start(owner);
    Result<std::int64_t> found = co_await find_installation(owner, deadline);
    if (found)
        owner_installs_[owner] = found.value();
    resolves_.finish(rt_, owner, found);
    co_return std::move(found);
}

Task<Result<std::int64_t>> InstallationTokenCache::find_installation(RunnerOwner owner,
                                                                     Instant deadline) {
    // A named lambda: g++ 12 destroys a closure built inside a co_await expression twice, and this
    // one captures strings (docs/architecture.md, "Compiler notes").
    auto call = [this, owner] { return github_.find_installation(owner, make_claims()); };
    co_return co_await with_retries<std::int64_t>(rt_, github_retry_rules(config_), deadline,
                                                  std::move(call));
}

Task<Result<TokenGrant>> InstallationTokenCache::mint_or_join(std::int64_t installation_id,
                                                              RunnerOwner owner, Instant deadline) {
    if (auto flight = mints_.find(installation_id)) {
        lookup_joins_.increment();
        SCALEUP_PROBE(rt_, token_mint_single_flight_joined);
        trace("join", installation_id);
        co_return co_await SingleFlight<std::int64_t, TokenGrant>::join(rt_, std::move(flight),
                                                                        deadline);
    }
    lookup_misses_.increment();
    mints_.start(installation_id);
    Result<TokenGrant> outcome = co_await mint_with_re_resolve(installation_id, owner, deadline);
    mints_.finish(rt_, installation_id, outcome);
    co_return std::move(outcome);
}

Task<Result<TokenGrant>> InstallationTokenCache::mint_with_re_resolve(std::int64_t installation_id,
                                                                      RunnerOwner owner,
                                                                      Instant deadline) {
    Result<TokenGrant> minted = co_await mint(installation_id, deadline);
    if (minted || minted.error().kind != ErrorKind::not_found || owner.owner.empty()) {
        co_return std::move(minted);
    }
    // A 404 on the mint: the App may have been reinstalled under a new id. Ask once; the answer is
    // GitHub's current view, so its error (e.g. no longer installed) is the one to report.
    Result<std::int64_t> resolved = co_await find_installation(owner, deadline);
    if (!resolved)
        co_return resolved.error();
    const std::int64_t new_id = resolved.value();
    trace("re-resolve", installation_id, fmt::format("resolved={}", new_id));
    if (new_id == installation_id)
        co_return std::move(minted);
    Result<TokenGrant> reminted = co_await mint(new_id, deadline);
    // Recorded only now: until this flight ends, callers with the old id join it rather than start
    // a second mint for the new id.
    record_move(installation_id, new_id);
    owner_installs_[owner] = new_id;
    co_return std::move(reminted);
}

Task<Result<TokenGrant>> InstallationTokenCache::mint(std::int64_t installation_id,
                                                      Instant deadline) {
    ++mint_count_;
    trace("mint-start", installation_id);
    Result<InstallationToken> minted = co_await with_retries<InstallationToken>(
        rt_, github_retry_rules(config_), deadline, [this, installation_id] {
            return github_.create_installation_token(installation_id, make_claims());
        });
    if (!minted) {
        const ServiceError& error = minted.error();
        metrics_.increment(kMintsMetric, {{"outcome", "error"}});
        SCALEUP_PROBE(rt_, token_mint_failed);
        trace("mint-error", installation_id,
              fmt::format("kind={} code={}", to_string(error.kind), error.code));
        co_return error;
    }
    metrics_.increment(kMintsMetric, {{"outcome", "ok"}});
    TokenGrant grant{std::move(minted).value(), installation_id, rt_.now()};
    tokens_.insert_or_assign(installation_id, grant);
    trace("mint-ok", installation_id,
          fmt::format("expires_at={}", format_instant(grant.token.expires_at)));
    co_return std::move(grant);
}

std::int64_t InstallationTokenCache::current_id(std::int64_t installation_id) const {
    // record_move keeps the moves acyclic; the bound is a guard, not a rule.
    for (std::size_t hops = 0; hops <= moved_to_.size(); ++hops) {
        const auto it = moved_to_.find(installation_id);
        if (it == moved_to_.end())
            break;
        installation_id = it->second;
    }
    return installation_id;
}

void InstallationTokenCache::record_move(std::int64_t old_id, std::int64_t new_id) {
    // The new id is current again, even if it had moved away before: no cycles.
    moved_to_.erase(new_id);
    moved_to_.insert_or_assign(old_id, new_id);
    tokens_.erase(old_id);
}

const TokenGrant* InstallationTokenCache::usable_token(std::int64_t installation_id) const {
    const auto it = tokens_.find(installation_id);
    if (it == tokens_.end())
        return nullptr;
    const Instant refresh_at = it->second.token.expires_at - config_.token_refresh_margin;
    return rt_.now() < refresh_at ? &it->second : nullptr;
}

void InstallationTokenCache::trace(const char* event, std::int64_t installation_id,
                                   const std::string& extra) {
    if (extra.empty())
        rt_.tracef("token-cache", event, FMT_COMPILE("installation={}"), installation_id);
    else
        rt_.tracef("token-cache", event, FMT_COMPILE("installation={} {}"), installation_id, extra);
}

}  // namespace scaleup
