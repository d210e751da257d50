// InstallationTokenCache: one GitHub App installation token per installation, minted once.
//
// Every GitHub call the control plane makes needs an installation token, and minting one costs an
// API call and a signed JWT. The cache keeps one token per installation and reuses it until
// `token_refresh_margin` before it expires. Concurrent callers for the same installation share one
// mint (single-flight): a burst of 100 jobs must not mint 100 tokens with JWTs signed in the same
// second, which is how upstream met transient 404s (terraform-aws-github-runner #5025). A failed
// mint is never cached. A 404 from the mint means the installation id may be stale (the App was
// reinstalled): the cache re-resolves the owner's installation once and mints with the new id
// (upstream #5123), remembering old -> new so later callers with the old id are served.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/common/result.hpp"
#include "core/common/retry.hpp"
#include "core/config/scale_up_config.hpp"
#include "core/github/single_flight.hpp"
#include "core/metrics/metrics.hpp"
#include "core/ports/github.hpp"
#include "core/runtime/runtime.hpp"

namespace scaleup {

/// A token and where it came from: `installation_id` is the id it was minted for, which differs
/// from the requested one after a re-resolve; `minted_at` tells a replication-lag 401 (fresh token)
/// from a revoked or expired one.
struct TokenGrant {
    InstallationToken token;
    std::int64_t installation_id = 0;
    Instant minted_at{};
};

class InstallationTokenCache {
  public:
    InstallationTokenCache(Runtime& rt, GitHubPort& github, const ScaleUpConfig& config,
                           MetricsRegistry& metrics);

    /// Claims for one App JWT: `iat` backdated 60 s against clock drift, `exp` 540 s ahead (GitHub
    /// rejects more than 600 s), and a random `jti` so two JWTs are never byte-identical.
    AppJwtClaims make_claims();

    /// A token for `installation_id` (0: unknown, resolved from `owner` first) that is good for at
    /// least `token_refresh_margin`. Waits for GitHub no later than `deadline`.
    Task<Result<TokenGrant>> token_for(std::int64_t installation_id, RunnerOwner owner,
                                       Instant deadline);

    /// Forgets the installation's token (e.g. GitHub answered 401 to it).
    void invalidate(std::int64_t installation_id);
    /// Forgets the installation's token only if it is still `rejected_token`: when many calls get
    /// a 401 on the same old token, only the first one's invalidation drops a token, and the
    /// replacement minted meanwhile survives the others.
    void invalidate(std::int64_t installation_id, const std::string& rejected_token);

    /// Mint operations started (retries inside one operation count once).
    std::uint64_t mint_count() const { return mint_count_; }

  private:
    Task<Result<std::int64_t>> resolve_owner(RunnerOwner owner, Instant deadline);
    Task<Result<std::int64_t>> find_installation(RunnerOwner owner, Instant deadline);
    /// A token for an installation with no usable cached one: joins the mint in flight, or mints.
    Task<Result<TokenGrant>> mint_or_join(std::int64_t installation_id, RunnerOwner owner,
                                          Instant deadline);
    Task<Result<TokenGrant>> mint_with_re_resolve(std::int64_t installation_id, RunnerOwner owner,
                                                  Instant deadline);
    Task<Result<TokenGrant>> mint(std::int64_t installation_id, Instant deadline);

    /// Follows old -> new installation ids recorded by re-resolves.
    std::int64_t current_id(std::int64_t installation_id) const;
    void record_move(std::int64_t old_id, std::int64_t new_id);
    const TokenGrant* usable_token(std::int64_t installation_id) const;
    void trace(const char* event, std::int64_t installation_id, const std::string& extra = {});

    Runtime& rt_;
    GitHubPort& github_;
    const ScaleUpConfig& config_;
    MetricsRegistry& metrics_;
    // scaleup_github_token_cache_total by result: a hit is counted on every GitHub call.
    MetricCounter lookup_hits_;
    MetricCounter lookup_joins_;
    MetricCounter lookup_misses_;
    std::map<std::int64_t, TokenGrant> tokens_;           // by the id the token was minted for
    std::map<std::int64_t, std::int64_t> moved_to_;       // stale id -> re-resolved id
    std::map<RunnerOwner, std::int64_t> owner_installs_;  // owners resolved from id 0
    SingleFlight<std::int64_t, TokenGrant> mints_;
    SingleFlight<RunnerOwner, std::int64_t> resolves_;
    std::uint64_t mint_count_ = 0;
};

}  // namespace scaleup
