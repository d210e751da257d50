// InstallationTokenCache on the simulated runtime: JWT claims, reuse until the refresh margin,
// single-flight mints, failed mints not cached, and the stale-installation 404 re-resolve.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/github/installation_token_cache.hpp"
#include "sim/runtime/simulated_runtime.hpp"
#include "tests/core/fake_github.hpp"

using namespace scaleup;
using scaleup::testing::FakeGitHub;
using scaleup::testing::github_error;
using sim::kSimulationEpoch;
using sim::SimulatedRuntime;

// The file's own namespace: in a unity build (scripts/test) its helpers share a translation unit
// with other test files'.
namespace installation_token_cache_test {

namespace {

const RunnerOwner kOwner{"acme", ""};

struct Fetched {
    std::optional<Result<TokenGrant>> result;
    Instant at{};
    bool ok() const { return result && result->ok(); }
    const TokenGrant& grant() const { return result->value(); }
    const ServiceError& error() const { return result->error(); }
};

Task<void> fetch(Runtime& rt, InstallationTokenCache& cache, std::int64_t installation_id,
                 Instant deadline, Fetched& out) {
    out.result.emplace(co_await cache.token_for(installation_id, kOwner, deadline));
    out.at = rt.now();
}

struct CacheFixture {
    explicit CacheFixture(sim::TraceRecorder* trace = nullptr) : rt(7, trace) {}

    SimulatedRuntime rt;
    FakeGitHub github{rt};
    ScaleUpConfig config;
    MetricsRegistry metrics;
    InstallationTokenCache cache{rt, github, config, metrics};

    Instant deadline() const { return rt.now() + seconds(30); }
    void start(std::int64_t installation_id, Fetched& out) {
        rt.spawn(fetch(rt, cache, installation_id, deadline(), out));
    }
    /// Fetches a token and runs the simulation until nothing is left to do.
    Fetched fetch_now(std::int64_t installation_id) {
        Fetched out;
        start(installation_id, out);
        rt.run();
        return out;
    }
    std::uint64_t lookups(const char* result) const {
        return metrics.value("scaleup_github_token_cache_total", {{"result", result}});
    }
    std::uint64_t mints(const char* outcome) const {
        return metrics.value("scaleup_github_token_mints_total", {{"outcome", outcome}});
    }
};

}  // namespace

TEST_CASE("claims backdate iat by 60 s, expire within 600 s and carry a unique jti",
          "[token-cache]") {
    CacheFixture f;
    f.config.app_id = "12345";
    const std::int64_t now = unix_seconds(f.rt.now());

    const AppJwtClaims first = f.cache.make_claims();
    const AppJwtClaims second = f.cache.make_claims();

    CHECK(first.issuer == "12345");
    CHECK(first.issued_at == now - 60);
    CHECK(first.expires_at == now + 540);
    CHECK(first.expires_at - now <= 600);
    CHECK(first.expires_at - first.issued_at == 600);
    CHECK(first.jwt_id.size() == 32);
    CHECK(first.jwt_id.find_first_not_of("0123456789abcdef") == std::string::npos);
    // Same second, same iat/exp/iss: only the jti keeps the two JWTs apart (upstream #5025).
    CHECK(second.issued_at == first.issued_at);
    CHECK(second.jwt_id != first.jwt_id);
}

TEST_CASE("every mint request carries its own claims", "[token-cache]") {
    CacheFixture f;
    f.github.mint_script.push_back(github_error(ErrorKind::transient, "502"));
    const Fetched fetched = f.fetch_now(42);
    REQUIRE(fetched.ok());
    REQUIRE(f.github.mints.size() == 2);
    const AppJwtClaims& claims = f.github.mints[0].claims;
    CHECK(claims.issued_at == unix_seconds(f.github.mints[0].at) - 60);
    CHECK(claims.expires_at == unix_seconds(f.github.mints[0].at) + 540);
    CHECK(f.github.mints[1].claims.jwt_id != claims.jwt_id);
}

TEST_CASE("a token is reused until the refresh margin before it expires, then minted again",
          "[token-cache]") {
    CacheFixture f;
    const Fetched first = f.fetch_now(42);
    REQUIRE(first.ok());
    CHECK(first.grant().token.token == "ghs_42_1");
    CHECK(first.grant().installation_id == 42);
    CHECK(first.grant().minted_at == kSimulationEpoch + milliseconds(50));
    const Instant refresh_at = first.grant().token.expires_at - f.config.token_refresh_margin;
    CHECK(refresh_at == kSimulationEpoch + milliseconds(50) + minutes(55));

    f.rt.run_until(refresh_at - nanoseconds(1));
    const Fetched reused = f.fetch_now(42);
    REQUIRE(reused.ok());
    CHECK(reused.grant().token.token == "ghs_42_1");
    CHECK(reused.at == refresh_at - nanoseconds(1));  // a hit makes no call
    CHECK(f.github.mints.size() == 1);

    f.rt.run_until(refresh_at);
    const Fetched renewed = f.fetch_now(42);
    REQUIRE(renewed.ok());
    CHECK(renewed.grant().token.token == "ghs_42_2");
    CHECK(renewed.grant().minted_at == refresh_at + milliseconds(50));
    CHECK(f.github.mints.size() == 2);
    CHECK(f.cache.mint_count() == 2);
    CHECK(f.lookups("hit") == 1);
    CHECK(f.lookups("miss") == 2);
    CHECK(f.mints("ok") == 2);
}

TEST_CASE("fifty concurrent callers share one mint and get the same token", "[token-cache]") {
    CacheFixture f;
    std::vector<Fetched> fetched(50);
    for (Fetched& out : fetched)
        f.start(42, out);
    f.rt.run();

    CHECK(f.github.mints.size() == 1);
    CHECK(f.cache.mint_count() == 1);
    for (const Fetched& out : fetched) {
        REQUIRE(out.ok());
        CHECK(out.grant().token.token == "ghs_42_1");
        CHECK(out.grant().minted_at == kSimulationEpoch + milliseconds(50));
        CHECK(out.at == kSimulationEpoch + milliseconds(50));
    }
    CHECK(f.lookups("miss") == 1);
    CHECK(f.lookups("joined") == 49);

    const Fetched later = f.fetch_now(42);
    CHECK(later.grant().token.token == "ghs_42_1");
    CHECK(f.lookups("hit") == 1);
    CHECK(f.github.mints.size() == 1);
}

TEST_CASE("a failed mint reaches its joiners and is not cached", "[token-cache]") {
    CacheFixture f;
    f.github.mint_script.push_back(
        github_error(ErrorKind::forbidden, "403", "This installation has been suspended"));
    std::vector<Fetched> fetched(3);
    for (Fetched& out : fetched)
        f.start(42, out);
    f.rt.run();

    CHECK(f.github.mints.size() == 1);
    for (const Fetched& out : fetched) {
        REQUIRE(out.result);
        REQUIRE_FALSE(out.ok());
        CHECK(out.error().kind == ErrorKind::forbidden);
    }
    CHECK(f.mints("error") == 1);

    const Fetched retried = f.fetch_now(42);
    REQUIRE(retried.ok());
    CHECK(retried.grant().token.token == "ghs_42_2");
    CHECK(f.github.mints.size() == 2);
    CHECK(f.mints("ok") == 1);
    CHECK(f.lookups("miss") == 2);
    CHECK(f.lookups("joined") == 2);
}

TEST_CASE("transient mint errors are retried within the budget, then returned", "[token-cache]") {
    CacheFixture f;
    for (int i = 0; i < 3; ++i)
        f.github.mint_script.push_back(github_error(ErrorKind::transient, "502"));
    const Fetched failed = f.fetch_now(42);
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().kind == ErrorKind::transient);
    CHECK(failed.error().retry_at.has_value());
    CHECK(f.github.mints.size() == 3);  // budget.attempts
    CHECK(f.cache.mint_count() == 1);   // one mint operation

    const Fetched next = f.fetch_now(42);
    REQUIRE(next.ok());
    CHECK(f.github.mints.size() == 4);
}

TEST_CASE("a 404 on the mint re-resolves the installation once and mints with the new id",
          "[token-cache]") {
    CacheFixture f;
    f.github.mint_script.push_back(github_error(ErrorKind::not_found, "404", "Not Found"));
    f.github.resolved_installation_id = 77;

    const Fetched fetched = f.fetch_now(42);
    REQUIRE(fetched.ok());
    CHECK(fetched.grant().installation_id == 77);
    CHECK(fetched.grant().token.token == "ghs_77_2");
    REQUIRE(f.github.finds.size() == 1);
    CHECK(f.github.finds[0] == kOwner);
    REQUIRE(f.github.mints.size() == 2);
    CHECK(f.github.mints[0].installation_id == 42);
    CHECK(f.github.mints[1].installation_id == 77);
    CHECK(f.github.mints[1].at == kSimulationEpoch + milliseconds(100));
    CHECK(fetched.at == kSimulationEpoch + milliseconds(150));

    // Later callers with the stale id, and callers with the new one, are served from the cache.
    const Fetched stale_id = f.fetch_now(42);
    const Fetched new_id = f.fetch_now(77);
    CHECK(stale_id.grant().token.token == "ghs_77_2");
    CHECK(new_id.grant().token.token == "ghs_77_2");
    CHECK(f.github.mints.size() == 2);
    CHECK(f.github.finds.size() == 1);
    CHECK(f.lookups("hit") == 2);
}

TEST_CASE("a 404 when the installation resolves to the same id is returned after one re-resolve",
          "[token-cache]") {
    CacheFixture f;
    f.github.mint_script.push_back(github_error(ErrorKind::not_found, "404", "Not Found"));
    f.github.resolved_installation_id = 42;

    const Fetched fetched = f.fetch_now(42);
    REQUIRE_FALSE(fetched.ok());
    CHECK(fetched.error().kind == ErrorKind::not_found);
    CHECK(f.github.finds.size() == 1);
    CHECK(f.github.mints.size() == 1);
    CHECK(f.mints("error") == 1);
}

TEST_CASE("a 404 on the re-resolved id is returned without a second re-resolve", "[token-cache]") {
    CacheFixture f;
    f.github.mint_script.push_back(github_error(ErrorKind::not_found, "404", "Not Found"));
    f.github.mint_script.push_back(github_error(ErrorKind::not_found, "404", "Not Found"));
    f.github.resolved_installation_id = 77;

    const Fetched fetched = f.fetch_now(42);
    REQUIRE_FALSE(fetched.ok());
    CHECK(fetched.error().kind == ErrorKind::not_found);
    CHECK(f.github.finds.size() == 1);
    REQUIRE(f.github.mints.size() == 2);
    CHECK(f.github.mints[1].installation_id == 77);
}

TEST_CASE("a 404 re-resolve that finds no installation returns the lookup's error",
          "[token-cache]") {
    CacheFixture f;
    f.github.mint_script.push_back(github_error(ErrorKind::not_found, "404", "Not Found"));
    f.github.find_script.emplace_back(github_error(ErrorKind::not_found, "404", "not installed"));

    const Fetched fetched = f.fetch_now(42);
    REQUIRE_FALSE(fetched.ok());
    CHECK(fetched.error().message == "not installed");
    CHECK(f.github.finds.size() == 1);
    CHECK(f.github.mints.size() == 1);
}

TEST_CASE("a non-404 mint error does not re-resolve", "[token-cache]") {
    CacheFixture f;
    f.github.mint_script.push_back(github_error(ErrorKind::unauthorized, "401", "bad JWT"));
    const Fetched fetched = f.fetch_now(42);
    REQUIRE_FALSE(fetched.ok());
    CHECK(fetched.error().kind == ErrorKind::unauthorized);
    CHECK(f.github.finds.empty());
    CHECK(f.github.mints.size() == 1);
}

TEST_CASE("installation id 0 is resolved through find_installation once per owner",
          "[token-cache]") {
    CacheFixture f;
    std::vector<Fetched> fetched(10);
    for (Fetched& out : fetched)
        f.start(0, out);
    f.rt.run();

    CHECK(f.github.finds.size() == 1);
    REQUIRE(f.github.mints.size() == 1);
    CHECK(f.github.mints[0].installation_id == 42);
    for (const Fetched& out : fetched) {
        REQUIRE(out.ok());
        CHECK(out.grant().installation_id == 42);
        CHECK(out.grant().token.token == "ghs_42_1");
    }

    const Fetched later = f.fetch_now(0);
    CHECK(later.grant().token.token == "ghs_42_1");
    CHECK(f.github.finds.size() == 1);
}

TEST_CASE("invalidate drops a token, invalidating a replaced token keeps the replacement",
          "[token-cache]") {
    CacheFixture f;
    const Fetched first = f.fetch_now(42);
    f.cache.invalidate(42);
    const Fetched second = f.fetch_now(42);
    CHECK(second.grant().token.token == "ghs_42_2");

    // A late 401 on the first token must not drop the second.
    f.cache.invalidate(42, first.grant().token.token);
    const Fetched third = f.fetch_now(42);
    CHECK(third.grant().token.token == "ghs_42_2");
    CHECK(f.github.mints.size() == 2);

    f.cache.invalidate(42, second.grant().token.token);
    const Fetched fourth = f.fetch_now(42);
    CHECK(fourth.grant().token.token == "ghs_42_3");
}

TEST_CASE("a joiner whose deadline comes first gets a deadline error, the mint goes on",
          "[token-cache]") {
    CacheFixture f;
    f.github.latency = seconds(5);
    Fetched leader, joiner;
    f.start(42, leader);
    f.rt.spawn(fetch(f.rt, f.cache, 42, f.rt.now() + seconds(1), joiner));
    f.rt.run();

    REQUIRE_FALSE(joiner.ok());
    CHECK(joiner.error().code == "deadline");
    CHECK(joiner.at == kSimulationEpoch + seconds(1));
    REQUIRE(leader.ok());
    CHECK(leader.at == kSimulationEpoch + seconds(5));
    CHECK(f.github.mints.size() == 1);
}

TEST_CASE("the cache traces mints and joins with deterministic fields", "[token-cache]") {
    sim::TraceRecorder::Options options;
    options.keep_lines = true;
    sim::TraceRecorder trace(options);
    CacheFixture f(&trace);
    f.github.mint_script.push_back(github_error(ErrorKind::not_found, "404", "Not Found"));
    f.github.resolved_installation_id = 77;
    Fetched first, second;
    f.start(42, first);
    f.start(42, second);
    f.rt.run();

    const std::vector<std::string> expected{
        "1767225600.000000000s token-cache mint-start installation=42",
        "1767225600.000000000s token-cache join installation=42",
        "1767225600.050000000s token-cache mint-error installation=42 kind=not_found code=404",
        "1767225600.100000000s token-cache re-resolve installation=42 resolved=77",
        "1767225600.100000000s token-cache mint-start installation=77",
        "1767225600.150000000s token-cache mint-ok installation=77 "
        "expires_at=1767229200.150000000s",
    };
    CHECK(trace.lines() == expected);
}

}  // namespace installation_token_cache_test
