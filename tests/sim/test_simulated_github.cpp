// SimulatedGitHub, auth side: App JWT checks, installation tokens and their faults, installation
// lookup, rate limits, and determinism of a faulty run.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "sim/runtime/determinism_check.hpp"
#include "tests/sim/simulated_github_fixture.hpp"

using namespace scaleup;
using namespace scaleup::sim;
using scaleup::sim::testing::exact_options;
using scaleup::sim::testing::GitHubFixture;
using scaleup::sim::testing::store_result;

namespace {

constexpr const char* kIatMessage =
    "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was "
    "issued";
constexpr const char* kExpTooFar = "'Expiration time' claim ('exp') is too far in the future";
constexpr const char* kExpPast =
    "'Expiration time' claim ('exp') must be a numeric value representing the future time at "
    "which the assertion expires";

ServiceError mint_error(GitHubFixture& f, AppJwtClaims claims, std::int64_t installation) {
    Result<InstallationToken> result =
        f.run(f.github.create_installation_token(installation, claims));
    REQUIRE_FALSE(result.ok());
    return result.error();
}

}  // namespace

TEST_CASE("a valid App JWT mints a one-hour token", "[sim-github]") {
    GitHubFixture f;
    const Instant start = f.rt.now();
    Result<InstallationToken> token = f.run(f.github.create_installation_token(f.org, f.claims()));
    REQUIRE(token.ok());
    CHECK(token.value().token == "ghs_1");
    CHECK(token.value().expires_at == start + hours(1));  // whole seconds, from the 201
    CHECK(f.rt.now() == start + milliseconds(100));
    REQUIRE(f.github.mints().size() == 1);
    CHECK(f.github.mints()[0].status_code == 201);
    CHECK(f.github.mint_count(f.org) == 1);
}

TEST_CASE("GitHub rejects JWT claims with its own 401 messages", "[sim-github]") {
    GitHubFixture f;
    const std::int64_t now = unix_seconds(f.rt.now());  // the mint arrives 50 ms later

    SECTION("iat in GitHub's future beyond the tolerance") {
        const ServiceError e = mint_error(f, {"1", now + 2, now + 300, "a"}, f.org);
        CHECK(e.kind == ErrorKind::unauthorized);
        CHECK(e.code == "401");
        CHECK(e.message == kIatMessage);
    }
    SECTION("iat within the one-second tolerance is accepted") {
        CHECK(
            f.run(f.github.create_installation_token(f.org, {"1", now + 1, now + 300, "a"})).ok());
    }
    SECTION("exp more than 600 s ahead") {
        const ServiceError e = mint_error(f, {"1", now - 60, now + 601, "a"}, f.org);
        CHECK(e.kind == ErrorKind::unauthorized);
        CHECK(e.message == kExpTooFar);
    }
    SECTION("exp exactly 600 s ahead of the signer is fine when GitHub's clock agrees") {
        CHECK(f.run(f.github.create_installation_token(f.org, {"1", now, now + 600, "a"})).ok());
    }
    SECTION("exp in the past") {
        const ServiceError e = mint_error(f, {"1", now - 700, now, "a"}, f.org);
        CHECK(e.kind == ErrorKind::unauthorized);
        CHECK(e.message == kExpPast);
    }
    SECTION("an issuer that is not this App") {
        const ServiceError e = mint_error(f, {"2", now - 60, now + 540, "a"}, f.org);
        CHECK(e.message == "A JSON web token could not be decoded");
    }
    SECTION("the App's client id is a valid issuer") {
        CHECK(f.run(f.github.create_installation_token(f.org,
                                                       {"Iv1.simulated", now - 60, now + 540, "a"}))
                  .ok());
    }
    CHECK(f.github.mints().size() == 1);
}

TEST_CASE("an expired installation token is 401 and the request is logged as expired",
          "[sim-github]") {
    GitHubFixture f;
    const std::int64_t job = f.github.queue_job("acme", "app", {"self-hosted"}, minutes(1), f.org);
    const std::string token = f.mint(f.org);  // expires at start + 1 h

    f.rt.run_until(sim::kSimulationEpoch + hours(1) - seconds(1));
    CHECK(f.run(f.github.get_job_status(token, "acme", "app", job)).ok());
    f.rt.run_until(sim::kSimulationEpoch + hours(1));
    Result<JobStatus> late = f.run(f.github.get_job_status(token, "acme", "app", job));
    REQUIRE_FALSE(late.ok());
    CHECK(late.error().kind == ErrorKind::unauthorized);
    CHECK(late.error().message == "Bad credentials");

    const auto& requests = f.github.requests();
    REQUIRE(requests.size() == 3);  // the mint and two job lookups
    CHECK(requests[1].token == token);
    CHECK_FALSE(requests[1].token_expired);
    CHECK(requests[1].status_code == 200);
    CHECK(requests[2].token_expired);
    CHECK(requests[2].status_code == 401);
    CHECK(requests[2].installation_id == f.org);
}

TEST_CASE("identical JWTs in flight together or within a second get a transient 404",
          "[sim-github]") {
    GitHubFixture f;
    const AppJwtClaims same = f.claims("same-jti");
    std::optional<Result<InstallationToken>> first, second;

    SECTION("two concurrent mints with identical claims: the later one is 404") {
        f.rt.spawn(store_result(f.github.create_installation_token(f.org, same), first));
        f.rt.spawn(store_result(f.github.create_installation_token(f.org, same), second));
        f.rt.run_for(seconds(1));
        REQUIRE(first->ok());
        REQUIRE_FALSE(second->ok());
        CHECK(second->error().kind == ErrorKind::not_found);
        CHECK(second->error().code == "404");
    }
    SECTION("the same claims arriving 0.95 s after the first: still 404") {
        REQUIRE(f.run(f.github.create_installation_token(f.org, same)).ok());
        f.rt.run_for(milliseconds(850));  // arrives 0.95 s after the first one did
        CHECK(f.run(f.github.create_installation_token(f.org, same)).error().code == "404");
    }
    SECTION("the same claims after the window: accepted") {
        REQUIRE(f.run(f.github.create_installation_token(f.org, same)).ok());
        f.rt.run_for(seconds(1));
        CHECK(f.run(f.github.create_installation_token(f.org, same)).ok());
    }
    SECTION("concurrent mints with distinct jti both succeed") {
        f.rt.spawn(store_result(f.github.create_installation_token(f.org, f.claims()), first));
        f.rt.spawn(store_result(f.github.create_installation_token(f.org, f.claims()), second));
        f.rt.run_for(seconds(1));
        CHECK(first->ok());
        CHECK(second->ok());
        CHECK(f.github.mint_count(f.org) == 2);
    }
}

TEST_CASE("a freshly minted token can be 401 for the replication lag", "[sim-github]") {
    auto options = exact_options();
    options.fresh_token_unauthorized = Ratio::always();
    options.fresh_token_lag = seconds(3);
    GitHubFixture f(options);
    const std::int64_t job = f.github.queue_job("acme", "app", {"self-hosted"}, minutes(1), f.org);
    const std::string token = f.mint(f.org);  // minted at +50 ms

    Result<JobStatus> early = f.run(f.github.get_job_status(token, "acme", "app", job));
    REQUIRE_FALSE(early.ok());
    CHECK(early.error().kind == ErrorKind::unauthorized);
    f.rt.run_until(sim::kSimulationEpoch + milliseconds(50) + seconds(3) - milliseconds(50));
    CHECK(f.run(f.github.get_job_status(token, "acme", "app", job)).ok());
}

TEST_CASE("a suspended installation is 403, an unknown or replaced one 404", "[sim-github]") {
    GitHubFixture f;
    const std::int64_t job = f.github.queue_job("acme", "app", {"self-hosted"}, minutes(1), f.org);
    const std::string token = f.mint(f.org);
    f.github.suspend_installation(f.org);

    const ServiceError mint = mint_error(f, f.claims(), f.org);
    CHECK(mint.kind == ErrorKind::forbidden);
    CHECK(mint.code == "403");
    CHECK(mint.message == "This installation has been suspended");
    Result<JobStatus> call = f.run(f.github.get_job_status(token, "acme", "app", job));
    CHECK(call.error().message == "This installation has been suspended");

    f.github.suspend_installation(f.org, false);
    CHECK(mint_error(f, f.claims(), 999).kind == ErrorKind::not_found);
    const std::int64_t renewed = f.github.reinstall(f.org);
    CHECK(renewed != f.org);
    CHECK(mint_error(f, f.claims(), f.org).code == "404");
    CHECK(f.run(f.github.get_job_status(token, "acme", "app", job)).error().code == "401");
    Result<std::int64_t> found = f.run(f.github.find_installation({"acme", ""}, f.claims()));
    REQUIRE(found.ok());
    CHECK(found.value() == renewed);
}

TEST_CASE("installations are found per organization or repository", "[sim-github]") {
    GitHubFixture f;
    const std::int64_t user = f.github.add_installation("alice", AccountType::user, {"dotfiles"});
    CHECK(f.run(f.github.find_installation({"acme", ""}, f.claims())).value() == f.org);
    CHECK(f.run(f.github.find_installation({"acme", "app"}, f.claims())).value() == f.org);
    CHECK(f.run(f.github.find_installation({"alice", "dotfiles"}, f.claims())).value() == user);
    // A user account has no /orgs/ installation, and the App is not on alice's other repos.
    CHECK(f.run(f.github.find_installation({"alice", ""}, f.claims())).error().code == "404");
    CHECK(f.run(f.github.find_installation({"alice", "site"}, f.claims())).error().code == "404");
    CHECK(f.run(f.github.find_installation({"nobody", ""}, f.claims())).error().code == "404");
}

TEST_CASE("the primary rate limit refuses until x-ratelimit-reset, then resets", "[sim-github]") {
    auto options = exact_options();
    options.rate_limits.core_per_hour = 3;
    GitHubFixture f(options);
    const std::int64_t job = f.github.queue_job("acme", "app", {"self-hosted"}, minutes(1), f.org);
    const std::string token = f.mint(f.org);
    const Instant reset = instant_from_unix_seconds(unix_seconds(f.rt.now()) + 3600);

    for (int i = 0; i < 3; ++i)
        REQUIRE(f.run(f.github.get_job_status(token, "acme", "app", job)).ok());
    const RateLimitStatus spent = f.github.rate_limit(f.org, RateBucket::core);
    CHECK(spent.limit == 3);
    CHECK(spent.used == 3);
    CHECK(spent.remaining == 0);
    CHECK(spent.reset == reset);

    Result<JobStatus> refused = f.run(f.github.get_job_status(token, "acme", "app", job));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::rate_limited);
    CHECK(refused.error().code == "403");
    REQUIRE(refused.error().retry_at.has_value());
    CHECK(*refused.error().retry_at == reset);
    // JIT configs have their own bucket.
    CHECK(
        f.run(f.github.generate_jit_config(token, {{"acme", ""}, "r-1", 1, {"self-hosted"}})).ok());

    f.rt.run_until(reset);
    const std::string fresh = f.mint(f.org);
    CHECK(f.run(f.github.get_job_status(fresh, "acme", "app", job)).ok());
    CHECK(f.github.rate_limit(f.org, RateBucket::core).used == 1);
}

TEST_CASE("each answer's x-ratelimit headers tell the client the core budget", "[sim-github]") {
    auto options = exact_options();
    options.rate_limits.core_per_hour = 3;
    GitHubFixture f(options);
    const std::int64_t job = f.github.queue_job("acme", "app", {"self-hosted"}, minutes(1), f.org);
    const std::string token = f.mint(f.org);
    const Instant reset = instant_from_unix_seconds(unix_seconds(f.rt.now()) + 3600);
    CHECK_FALSE(f.github.core_rate_budget(token).has_value());  // nothing answered yet

    REQUIRE(f.run(f.github.get_job_status(token, "acme", "app", job)).ok());
    auto seen = f.github.core_rate_budget(token);
    REQUIRE(seen.has_value());
    CHECK(seen->limit == 3);
    CHECK(seen->remaining == 2);
    CHECK(seen->reset == reset);

    // JIT configs count in another bucket: the core budget the client knows does not move.
    REQUIRE(
        f.run(f.github.generate_jit_config(token, {{"acme", ""}, "r-1", 1, {"self-hosted"}})).ok());
    CHECK(f.github.core_rate_budget(token)->remaining == 2);

    for (int i = 0; i < 3; ++i)
        (void)f.run(f.github.get_job_status(token, "acme", "app", job));  // the third is refused
    CHECK(f.github.core_rate_budget(token)->remaining == 0);
    CHECK_FALSE(f.github.core_rate_budget("ghs_not_a_token").has_value());
}

TEST_CASE("the secondary limit on points per minute sets retry_at from retry-after",
          "[sim-github]") {
    auto options = exact_options();
    options.rate_limits.points_per_minute = 5;  // one mint (POST, 5 points) or five GETs
    const bool header_missing = GENERATE(false, true);
    if (header_missing)
        options.rate_limits.retry_after_missing = Ratio::always();
    GitHubFixture f(options);
    const std::int64_t job = f.github.queue_job("acme", "app", {"self-hosted"}, minutes(1), f.org);
    const std::string token = f.mint(f.org);
    const Instant window_start = f.rt.now() + milliseconds(50);

    for (int i = 0; i < 5; ++i)
        REQUIRE(f.run(f.github.get_job_status(token, "acme", "app", job)).ok());
    const Instant refused_arrives = f.rt.now() + milliseconds(50);
    Result<JobStatus> refused = f.run(f.github.get_job_status(token, "acme", "app", job));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().kind == ErrorKind::secondary_rate_limited);
    CHECK(refused.error().code == "403");
    if (header_missing) {
        CHECK_FALSE(refused.error().retry_at.has_value());
    } else {
        // retry-after: whole seconds until the minute frees, 59.5 s rounded up.
        CHECK(window_start + seconds(60) - refused_arrives == milliseconds(59'500));
        REQUIRE(refused.error().retry_at.has_value());
        CHECK(*refused.error().retry_at == refused_arrives + seconds(60));
    }
    // Ignoring the wait does not help; waiting does.
    f.rt.run_for(seconds(30));
    CHECK(f.run(f.github.get_job_status(token, "acme", "app", job)).error().kind ==
          ErrorKind::secondary_rate_limited);
    f.rt.run_until(refused_arrives + seconds(60));
    CHECK(f.run(f.github.get_job_status(token, "acme", "app", job)).ok());
}

TEST_CASE("more than the allowed concurrent requests get a secondary limit", "[sim-github]") {
    auto options = exact_options();
    options.rate_limits.max_concurrent = 2;
    GitHubFixture f(options);
    const std::int64_t job = f.github.queue_job("acme", "app", {"self-hosted"}, minutes(1), f.org);
    const std::string token = f.mint(f.org);
    std::vector<std::optional<Result<JobStatus>>> out(3);
    for (auto& slot : out)
        f.rt.spawn(store_result(f.github.get_job_status(token, "acme", "app", job), slot));
    f.rt.run_for(seconds(1));
    CHECK(out[0]->ok());
    CHECK(out[1]->ok());
    REQUIRE_FALSE(out[2]->ok());
    CHECK(out[2]->error().kind == ErrorKind::secondary_rate_limited);
    CHECK(*out[2]->error().retry_at == sim::kSimulationEpoch + milliseconds(150) + seconds(60));
}

TEST_CASE("5xx faults and outages, a 502 after the effect still changed GitHub", "[sim-github]") {
    auto options = exact_options();
    options.outages = {{sim::kSimulationEpoch, sim::kSimulationEpoch + minutes(5)}};
    GitHubFixture f(options);
    const ServiceError outage = mint_error(f, f.claims(), f.org);
    CHECK(outage.kind == ErrorKind::transient);
    CHECK(outage.code == "503");
    CHECK(f.github.mint_count(f.org) == 0);

    f.rt.run_until(sim::kSimulationEpoch + minutes(5));
    const std::string token = f.mint(f.org);
    f.github.options().server_error = Ratio::always();
    f.github.options().server_error_after_effect = Ratio::always();
    Result<JitConfig> lost =
        f.run(f.github.generate_jit_config(token, {{"acme", ""}, "r-1", 1, {"x64"}}));
    REQUIRE_FALSE(lost.ok());
    CHECK(lost.error().code == "502");
    CHECK(f.github.runners().size() == 1);  // created although the caller saw 502
    f.github.options().server_error = Ratio::never();
    CHECK(f.run(f.github.generate_jit_config(token, {{"acme", ""}, "r-1", 1, {"x64"}}))
              .error()
              .code == "409");
}

namespace {
// A busy, faulty run touching every part of the model: its trace must be the same every time.
void faulty_run(TraceRecorder& trace) {
    auto options = exact_options();
    options.latency = {milliseconds(10), milliseconds(300)};
    options.webhook_latency = {milliseconds(50), seconds(3)};
    options.server_error = Ratio::percent(20);
    options.fresh_token_unauthorized = Ratio::percent(30);
    GitHubFixture f(options, 42, &trace);
    f.intake.status = 200;
    f.record_webhooks();
    std::vector<std::int64_t> jobs;
    for (int i = 0; i < 20; ++i) {
        jobs.push_back(
            f.github.queue_job("acme", "app", {"self-hosted", "linux"}, seconds(30 + i), f.org));
    }
    for (int i = 0; i < 20; ++i) {
        std::optional<Result<InstallationToken>> token;
        f.rt.spawn(store_result(f.github.create_installation_token(f.org, f.claims()), token));
        f.rt.run_for(seconds(1));
        if (token->ok()) {
            std::optional<Result<JobStatus>> status;
            f.rt.spawn(store_result(
                f.github.get_job_status(token->value().token, "acme", "app", jobs[i]), status));
            f.rt.run_for(seconds(1));
        }
    }
    f.rt.run_for(minutes(5));
}
}  // namespace

TEST_CASE("same seed, same trace: the simulated GitHub is deterministic", "[sim-github]") {
    const DeterminismReport report = check_determinism(faulty_run);
    INFO(report.describe());
    CHECK(report.deterministic);
    // A floor that proves the run was busy: 96 events since run_until stopped running events past
    // its deadline (it used to overshoot behind cancelled timers, and count a few more).
    CHECK(report.first_events >= 90);
}
