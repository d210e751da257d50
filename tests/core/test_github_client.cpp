// GitHubClient on the simulated runtime: rate limits, backoff, the deadline, and the 401/403 rules.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "core/github/github_client.hpp"
#include "sim/runtime/simulated_runtime.hpp"
#include "tests/core/fake_github.hpp"

using namespace scaleup;
using scaleup::testing::FakeGitHub;
using scaleup::testing::github_error;
using sim::kSimulationEpoch;
using sim::SimulatedRuntime;

namespace {

const RunnerOwner kOwner{"acme", ""};
constexpr Instant kStart = kSimulationEpoch;

template <typename T>
struct Called {
    std::optional<Result<T>> result;
    Instant at{};
    bool ok() const { return result && result->ok(); }
    const ServiceError& error() const { return result->error(); }
};

Task<void> get_job(Runtime& rt, GitHubClient& client, Instant deadline, Called<JobStatus>& out) {
    out.result.emplace(co_await client.get_job_status(42, kOwner, "acme", "app", 7, deadline));
    out.at = rt.now();
}

Task<void> jit_config(Runtime& rt, GitHubClient& client, JitConfigRequest request, Instant deadline,
                      Called<JitConfig>& out) {
    out.result.emplace(co_await client.generate_jit_config(42, std::move(request), deadline));
    out.at = rt.now();
}

struct ClientFixture {
    SimulatedRuntime rt{11};
    FakeGitHub github{rt};
    ScaleUpConfig config;
    MetricsRegistry metrics;
    InstallationTokenCache tokens{rt, github, config, metrics};
    GitHubClient client{rt, github, tokens, config, metrics};

    /// Gets the job's status and runs the simulation until nothing is left to do.
    Called<JobStatus> get_job_now(Duration time_left = seconds(120)) {
        Called<JobStatus> out;
        rt.spawn(get_job(rt, client, rt.now() + time_left, out));
        rt.run();
        return out;
    }
    std::uint64_t calls(const char* call, const char* outcome) const {
        return metrics.value("scaleup_github_calls_total", {{"call", call}, {"outcome", outcome}});
    }
};

}  // namespace

TEST_CASE("calls share the cached installation token", "[github-client]") {
    ClientFixture f;
    const Called<JobStatus> first = f.get_job_now();
    const Called<JobStatus> second = f.get_job_now();
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK(first.result->value() == JobStatus::queued);
    CHECK(f.github.mints.size() == 1);
    REQUIRE(f.github.job_calls.size() == 2);
    CHECK(f.github.job_calls[0].token == "ghs_42_1");
    CHECK(f.github.job_calls[1].token == "ghs_42_1");
    CHECK(f.github.job_calls[0].job_id == 7);
    CHECK(f.calls("get_job", "ok") == 2);
}

TEST_CASE("a primary rate limit waits until the reset when it comes before the deadline",
          "[github-client]") {
    ClientFixture f;
    f.github.job_script.push_back(github_error(ErrorKind::rate_limited, "403",
                                               "API rate limit exceeded", kStart + seconds(30)));
    const Called<JobStatus> called = f.get_job_now(seconds(120));
    REQUIRE(called.ok());
    REQUIRE(f.github.job_calls.size() == 2);
    CHECK(f.github.job_calls[0].at == kStart + milliseconds(50));
    CHECK(f.github.job_calls[1].at == kStart + seconds(30));
    CHECK(called.at == kStart + seconds(30) + milliseconds(50));
}

TEST_CASE("a rate limit reset past the deadline returns at once with retry_at", "[github-client]") {
    ClientFixture f;
    f.github.job_script.push_back(github_error(ErrorKind::rate_limited, "403",
                                               "API rate limit exceeded", kStart + seconds(30)));
    const Called<JobStatus> called = f.get_job_now(seconds(10));
    REQUIRE_FALSE(called.ok());
    CHECK(called.error().kind == ErrorKind::rate_limited);
    REQUIRE(called.error().retry_at.has_value());
    CHECK(*called.error().retry_at == kStart + seconds(30));
    CHECK(called.at == kStart + milliseconds(100));  // not slept
    CHECK(f.github.job_calls.size() == 1);
    CHECK(f.calls("get_job", "rate_limited") == 1);
}

TEST_CASE("a secondary rate limit without retry-after waits the 60 s default", "[github-client]") {
    ClientFixture f;
    f.github.job_script.push_back(github_error(ErrorKind::secondary_rate_limited, "403",
                                               "You have exceeded a secondary rate limit"));

    SECTION("within the deadline, the call is repeated 60 s later") {
        const Called<JobStatus> called = f.get_job_now(seconds(120));
        REQUIRE(called.ok());
        REQUIRE(f.github.job_calls.size() == 2);
        CHECK(f.github.job_calls[1].at == kStart + milliseconds(100) + seconds(60));
    }
    SECTION("past the deadline, the error returns with retry_at 60 s on") {
        const Called<JobStatus> called = f.get_job_now(seconds(30));
        REQUIRE_FALSE(called.ok());
        CHECK(called.error().kind == ErrorKind::secondary_rate_limited);
        CHECK(called.error().retry_at == kStart + milliseconds(100) + seconds(60));
        CHECK(called.at == kStart + milliseconds(100));
        CHECK(f.github.job_calls.size() == 1);
    }
}

TEST_CASE("5xx errors back off with jitter and then succeed", "[github-client]") {
    ClientFixture f;
    f.github.job_script.push_back(github_error(ErrorKind::transient, "502", "Bad Gateway"));
    f.github.job_script.push_back(github_error(ErrorKind::transient, "502", "Bad Gateway"));
    const Called<JobStatus> called = f.get_job_now();
    REQUIRE(called.ok());
    REQUIRE(f.github.job_calls.size() == 3);
    // Full jitter: up to base (1 s) after the first failure, up to 2 s after the second.
    const Instant first_failed = f.github.job_calls[0].at + milliseconds(50);
    CHECK(f.github.job_calls[1].at >= first_failed);
    CHECK(f.github.job_calls[1].at <= first_failed + seconds(1));
    const Instant second_failed = f.github.job_calls[1].at + milliseconds(50);
    CHECK(f.github.job_calls[2].at >= second_failed);
    CHECK(f.github.job_calls[2].at <= second_failed + seconds(2));
    CHECK(f.calls("get_job", "ok") == 1);
}

TEST_CASE("5xx errors stop after budget.attempts tries", "[github-client]") {
    ClientFixture f;
    f.config.github_retry.attempts = 4;
    for (int i = 0; i < 6; ++i)
        f.github.job_script.push_back(github_error(ErrorKind::transient, "502", "Bad Gateway"));
    const Called<JobStatus> called = f.get_job_now();
    REQUIRE_FALSE(called.ok());
    CHECK(called.error().kind == ErrorKind::transient);
    REQUIRE(called.error().retry_at.has_value());
    CHECK(*called.error().retry_at >= called.at);
    CHECK(f.github.job_calls.size() == 4);
    CHECK(f.calls("get_job", "transient") == 1);
}

TEST_CASE("a 401 on a fresh token is retried once, 1 s later, with the same token",
          "[github-client]") {
    ClientFixture f;
    f.github.job_script.push_back(github_error(ErrorKind::unauthorized, "401", "Bad credentials"));

    SECTION("the retry succeeds") {
        const Called<JobStatus> called = f.get_job_now();
        REQUIRE(called.ok());
        REQUIRE(f.github.job_calls.size() == 2);
        CHECK(f.github.job_calls[1].at == kStart + milliseconds(100) + seconds(1));
        CHECK(f.github.job_calls[1].token == f.github.job_calls[0].token);
        CHECK(f.github.mints.size() == 1);
    }
    SECTION("a second 401 is returned") {
        f.github.job_script.push_back(
            github_error(ErrorKind::unauthorized, "401", "Bad credentials"));
        const Called<JobStatus> called = f.get_job_now();
        REQUIRE_FALSE(called.ok());
        CHECK(called.error().kind == ErrorKind::unauthorized);
        CHECK(f.github.job_calls.size() == 2);
        CHECK(f.github.mints.size() == 1);
        CHECK(f.calls("get_job", "unauthorized") == 1);
    }
    SECTION("a 1 s wait past the deadline returns at once with retry_at") {
        const Called<JobStatus> called = f.get_job_now(seconds(1));
        REQUIRE_FALSE(called.ok());
        CHECK(called.error().kind == ErrorKind::unauthorized);
        CHECK(called.error().retry_at == kStart + milliseconds(100) + seconds(1));
        CHECK(called.at == kStart + milliseconds(100));
        CHECK(f.github.job_calls.size() == 1);
    }
}

TEST_CASE("a 401 on an old token mints a new one and retries once", "[github-client]") {
    ClientFixture f;
    REQUIRE(f.get_job_now().ok());
    f.rt.run_until(kStart + minutes(10));
    f.github.job_script.push_back(github_error(ErrorKind::unauthorized, "401", "Bad credentials"));

    SECTION("the retry with the new token succeeds") {
        const Called<JobStatus> called = f.get_job_now();
        REQUIRE(called.ok());
        REQUIRE(f.github.mints.size() == 2);
        CHECK(f.github.mints[1].at == kStart + minutes(10) + milliseconds(50));
        REQUIRE(f.github.job_calls.size() == 3);
        CHECK(f.github.job_calls[1].token == "ghs_42_1");
        CHECK(f.github.job_calls[2].token == "ghs_42_2");
        CHECK(f.github.job_calls[2].at == kStart + minutes(10) + milliseconds(100));
        // The new token is cached for the next call.
        REQUIRE(f.get_job_now().ok());
        CHECK(f.github.job_calls[3].token == "ghs_42_2");
        CHECK(f.github.mints.size() == 2);
    }
    SECTION("a 401 on the new token is returned") {
        f.github.job_script.push_back(
            github_error(ErrorKind::unauthorized, "401", "Bad credentials"));
        const Called<JobStatus> called = f.get_job_now();
        REQUIRE_FALSE(called.ok());
        CHECK(called.error().kind == ErrorKind::unauthorized);
        CHECK(f.github.job_calls.size() == 3);
        CHECK(f.github.mints.size() == 2);
    }
}

TEST_CASE("a 403 is returned at once, without a retry", "[github-client]") {
    ClientFixture f;
    f.github.job_script.push_back(
        github_error(ErrorKind::forbidden, "403", "This installation has been suspended"));
    const Called<JobStatus> called = f.get_job_now();
    REQUIRE_FALSE(called.ok());
    CHECK(called.error().kind == ErrorKind::forbidden);
    CHECK(called.at == kStart + milliseconds(100));
    CHECK(f.github.job_calls.size() == 1);
    CHECK(f.github.mints.size() == 1);
    CHECK(f.calls("get_job", "forbidden") == 1);
}

TEST_CASE("a failed mint is the call's error and no GitHub call is made", "[github-client]") {
    ClientFixture f;
    f.github.mint_script.push_back(
        github_error(ErrorKind::forbidden, "403", "This installation has been suspended"));
    const Called<JobStatus> called = f.get_job_now();
    REQUIRE_FALSE(called.ok());
    CHECK(called.error().kind == ErrorKind::forbidden);
    CHECK(f.github.job_calls.empty());
    CHECK(f.calls("get_job", "forbidden") == 1);
}

TEST_CASE("generate_jit_config re-resolves a stale installation through the request's owner",
          "[github-client]") {
    ClientFixture f;
    f.github.mint_script.push_back(github_error(ErrorKind::not_found, "404", "Not Found"));
    f.github.resolved_installation_id = 77;
    JitConfigRequest request;
    request.owner = RunnerOwner{"globex", "web"};
    request.runner_name = "scaleup-1";
    request.labels = {"self-hosted", "linux", "x64"};

    Called<JitConfig> called;
    f.rt.spawn(jit_config(f.rt, f.client, request, f.rt.now() + seconds(30), called));
    f.rt.run();

    REQUIRE(called.ok());
    CHECK(called.result->value().encoded_jit_config == "jit:scaleup-1");
    REQUIRE(f.github.finds.size() == 1);
    CHECK(f.github.finds[0] == request.owner);
    REQUIRE(f.github.jit_calls.size() == 1);
    CHECK(f.github.jit_calls[0].token == "ghs_77_2");
    CHECK(f.github.jit_calls[0].request.runner_name == "scaleup-1");
    CHECK(f.calls("jit_config", "ok") == 1);
}
