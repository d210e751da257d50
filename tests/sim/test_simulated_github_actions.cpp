// SimulatedGitHub, Actions side: JIT runners, job assignment (never bound to a runner), the job
// life cycle and GitHub's 24-hour queue timeout.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/sim/simulated_github_fixture.hpp"

using namespace scaleup;
using namespace scaleup::sim;
using scaleup::sim::testing::GitHubFixture;
using scaleup::sim::testing::store_result;

namespace {

const RunnerOwner kOrg{"acme", ""};
const std::vector<std::string> kPoolLabels{"self-hosted", "linux", "x64"};

JitConfig jit(GitHubFixture& f, const std::string& token, const std::string& name,
              RunnerOwner owner = kOrg, std::vector<std::string> labels = kPoolLabels) {
    Result<JitConfig> config =
        f.run(f.github.generate_jit_config(token, {std::move(owner), name, 1, std::move(labels)}));
    REQUIRE(config.ok());
    return config.value();
}

/// A runner generated and registered, online and idle.
std::int64_t online_runner(GitHubFixture& f, const std::string& token, const std::string& name,
                           RunnerOwner owner = kOrg) {
    const JitConfig config = jit(f, token, name, std::move(owner));
    Result<std::int64_t> id = f.run(f.github.register_jit_runner(config.encoded_jit_config, name));
    REQUIRE(id.ok());
    CHECK(id.value() == config.runner_id);
    return id.value();
}

std::int64_t queue(GitHubFixture& f, std::vector<std::string> labels, std::string repo = "app") {
    return f.github.queue_job("acme", std::move(repo), std::move(labels), minutes(3), f.org);
}

}  // namespace

TEST_CASE("a JIT config is checked whole, not only the runner it names", "[sim-github]") {
    // The simulated GitHub finds a config's runner by the id in its text; a forged suffix, a
    // runner that does not exist, or no suffix at all must still be refused, touching no runner.
    GitHubFixture f;
    const std::string token = f.mint(f.org);
    const JitConfig config = jit(f, token, "scaleup-i-4");
    const std::string named = fmt::format("jitconfig-{}-", config.runner_id);
    for (const std::string& forged :
         {named + "0000000000000000", named, std::string("jitconfig-999999-0000000000000000"),
          fmt::format("jitconfig-{}", config.runner_id)}) {
        CAPTURE(forged);
        CHECK(f.run(f.github.register_jit_runner(forged, "i-4")).error().code == "400");
    }
    CHECK_FALSE(f.github.runner(config.runner_id)->online);
    CHECK(f.run(f.github.register_jit_runner(config.encoded_jit_config, "i-4")).ok());
}

TEST_CASE("JIT configs are single-use and runner names unique per owner", "[sim-github]") {
    GitHubFixture f;
    const std::string token = f.mint(f.org);
    const JitConfig config = jit(f, token, "scaleup-i-1");
    const auto* record = f.github.runner(config.runner_id);
    REQUIRE(record != nullptr);
    CHECK_FALSE(record->online);
    std::vector<RunnerInfo> listed = f.run(f.github.list_runners(token, kOrg)).value();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].name == "scaleup-i-1");
    CHECK_FALSE(listed[0].online);

    CHECK(f.run(f.github.register_jit_runner(config.encoded_jit_config, "i-1")).ok());
    CHECK(f.github.runner(config.runner_id)->online);
    CHECK(f.github.runner(config.runner_id)->instance_id == "i-1");
    Result<std::int64_t> reused =
        f.run(f.github.register_jit_runner(config.encoded_jit_config, "i-2"));
    REQUIRE_FALSE(reused.ok());
    CHECK(reused.error().kind == ErrorKind::conflict);
    CHECK(f.run(f.github.register_jit_runner("not-a-config", "i-3")).error().kind ==
          ErrorKind::invalid);

    Result<JitConfig> duplicate =
        f.run(f.github.generate_jit_config(token, {kOrg, "scaleup-i-1", 1, kPoolLabels}));
    REQUIRE_FALSE(duplicate.ok());
    CHECK(duplicate.error().kind == ErrorKind::conflict);
    CHECK(duplicate.error().code == "409");
    CHECK(duplicate.error().message ==
          "Already exists - A runner with the name scaleup-i-1 already exists.");
    // Another owner's namespace: the same name is free there.
    CHECK(
        f.run(f.github.generate_jit_config(token, {{"acme", "app"}, "scaleup-i-1", 1, kPoolLabels}))
            .ok());

    Result<JitConfig> no_group =
        f.run(f.github.generate_jit_config(token, {kOrg, "x", 0, kPoolLabels}));
    CHECK(no_group.error().code == "422");
    CHECK(no_group.error().message ==
          "Invalid input: object is missing required key: runner_group_id");
    CHECK(f.run(f.github.generate_jit_config(token, {kOrg, "x", 1, {}})).error().code == "422");
    CHECK(f.run(f.github.generate_jit_config(token, {{"other", ""}, "x", 1, kPoolLabels}))
              .error()
              .code == "404");

    // Deleting the stale registration frees the name (upstream's recovery from a 409).
    REQUIRE(f.run(f.github.delete_runner(token, kOrg, config.runner_id)).ok());
    CHECK(f.run(f.github.list_runners(token, kOrg)).value().empty());
    CHECK(f.run(f.github.generate_jit_config(token, {kOrg, "scaleup-i-1", 1, kPoolLabels})).ok());
    CHECK(f.github.rate_limit(f.org, RateBucket::actions_runner_registration).used == 7);
}

TEST_CASE("a runner gets the oldest queued job it can run, not the job it was made for",
          "[sim-github]") {
    GitHubFixture f;
    const std::string token = f.mint(f.org);
    const Instant queued_at = f.rt.now();
    const std::int64_t gpu = queue(f, {"self-hosted", "gpu"});
    const std::int64_t first = queue(f, {"self-hosted", "linux"});
    const std::int64_t second = queue(f, {"Self-Hosted", "LINUX"});  // labels are case-insensitive

    // Launched "for" `second`, the runner takes `first`, the oldest job its labels satisfy.
    const std::int64_t runner = online_runner(f, token, "for-second");
    std::optional<AssignedJob> assigned = f.run(f.github.wait_for_job(runner, minutes(1)));
    REQUIRE(assigned.has_value());
    CHECK(assigned->job_id == first);
    CHECK(assigned->duration == minutes(3));
    const auto* started = f.github.job(first);
    CHECK(started->status == JobStatus::in_progress);
    CHECK(started->started_at == f.rt.now());
    CHECK(started->runner_id == runner);
    CHECK(f.github.runner(runner)->busy);

    const std::int64_t other = online_runner(f, token, "for-first");
    CHECK(f.run(f.github.wait_for_job(other, minutes(1)))->job_id == second);

    std::vector<QueuedJob> left = f.run(f.github.list_queued_jobs(token, kOrg)).value();
    REQUIRE(left.size() == 1);
    CHECK(left[0].job_id == gpu);
    CHECK(left[0].created_at == queued_at);
    CHECK(f.run(f.github.get_job_status(token, "acme", "app", first)).value() ==
          JobStatus::in_progress);
    CHECK(f.run(f.github.get_job_status(token, "acme", "web", first)).error().code == "404");
}

TEST_CASE("a job queued while runners wait goes to the runner that waited longest",
          "[sim-github]") {
    GitHubFixture f;
    const std::string token = f.mint(f.org);
    const std::int64_t repo_runner = online_runner(f, token, "repo-web", {"acme", "web"});
    const std::int64_t early = online_runner(f, token, "early");
    const std::int64_t late = online_runner(f, token, "late");
    std::optional<std::optional<AssignedJob>> web, a, b;
    f.rt.spawn(store_result(f.github.wait_for_job(repo_runner, minutes(1)), web));
    f.rt.spawn(store_result(f.github.wait_for_job(early, minutes(1)), a));
    f.rt.spawn(store_result(f.github.wait_for_job(late, minutes(1)), b));
    f.rt.run_for(seconds(10));
    REQUIRE_FALSE(a.has_value());

    const Instant queued_at = f.rt.now();
    const std::int64_t job = queue(f, kPoolLabels, "app");  // not for the acme/web runner
    f.rt.run_for(milliseconds(1));
    REQUIRE(a.has_value());
    CHECK((*a)->job_id == job);
    CHECK(f.github.job(job)->started_at == queued_at);
    CHECK_FALSE(b.has_value());

    const Instant waits_began = queued_at - seconds(10);
    f.rt.run_until(waits_began + minutes(1) - milliseconds(1));
    CHECK_FALSE(b.has_value());
    f.rt.run_until(waits_began + minutes(1));
    REQUIRE(b.has_value());
    CHECK_FALSE(b->has_value());
    REQUIRE(web.has_value());
    CHECK_FALSE(web->has_value());
}

TEST_CASE("a finished job completes with success and the ephemeral runner is removed",
          "[sim-github]") {
    GitHubFixture f;
    const std::string token = f.mint(f.org);
    const std::int64_t job = queue(f, kPoolLabels);
    const std::int64_t runner = online_runner(f, token, "r");
    REQUIRE(f.run(f.github.wait_for_job(runner, minutes(1))).has_value());
    f.rt.run_for(minutes(3));
    f.github.job_finished(runner, job);

    const auto* done = f.github.job(job);
    CHECK(done->status == JobStatus::completed);
    CHECK(done->conclusion == "success");
    CHECK(done->completed_at == f.rt.now());
    CHECK(f.github.runner(runner)->deleted);
    CHECK(f.run(f.github.list_runners(token, kOrg)).value().empty());
    CHECK(f.run(f.github.wait_for_job(runner, minutes(1))) == std::nullopt);
}

TEST_CASE("a busy runner cannot be deleted, a lost runner fails its job", "[sim-github]") {
    GitHubFixture f;
    const std::string token = f.mint(f.org);
    const std::int64_t job = queue(f, kPoolLabels);
    const std::int64_t runner = online_runner(f, token, "r");
    REQUIRE(f.run(f.github.wait_for_job(runner, minutes(1))).has_value());

    std::vector<RunnerInfo> listed = f.run(f.github.list_runners(token, kOrg)).value();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].online);
    CHECK(listed[0].busy);
    Status busy = f.run(f.github.delete_runner(token, kOrg, runner));
    REQUIRE_FALSE(busy.ok());
    CHECK(busy.error().kind == ErrorKind::invalid);
    CHECK(busy.error().code == "422");

    f.github.runner_lost(runner);
    CHECK(f.github.job(job)->status == JobStatus::completed);
    CHECK(f.github.job(job)->conclusion == "failure");
    // It had a runner: the API says completed, not completed_never_ran.
    CHECK(f.run(f.github.get_job_status(token, "acme", "app", job)).value() ==
          JobStatus::completed);
    listed = f.run(f.github.list_runners(token, kOrg)).value();
    REQUIRE(listed.size() == 1);  // offline until someone deletes it
    CHECK_FALSE(listed[0].online);
    CHECK_FALSE(listed[0].busy);
    CHECK(f.run(f.github.delete_runner(token, kOrg, runner)).ok());
    CHECK(f.run(f.github.delete_runner(token, kOrg, runner)).error().code == "404");
}

TEST_CASE("each queued job times out 24 hours after it was queued, whoever left before it",
          "[sim-github]") {
    GitHubFixture f;
    const Instant t0 = f.rt.now();
    const std::vector<std::string> nobody_serves{"self-hosted", "gpu"};
    const std::int64_t first = queue(f, nobody_serves);
    f.rt.run_until(t0 + hours(1));
    const std::int64_t second = queue(f, nobody_serves);
    f.rt.run_until(t0 + hours(2));
    f.github.cancel_job(first);  // the oldest leaves: the next deadline is the second's

    f.rt.run_until(t0 + hours(25) - nanoseconds(1));
    CHECK(f.github.job(second)->status == JobStatus::queued);
    f.rt.run_until(t0 + hours(25));
    CHECK(f.github.job(second)->expired_in_queue);
    CHECK(f.github.job(second)->completed_at == t0 + hours(25));
    CHECK_FALSE(f.github.job(first)->expired_in_queue);

    // The queue was empty for an hour; a job queued now still times out on its own clock.
    f.rt.run_until(t0 + hours(26));
    const std::int64_t third = queue(f, nobody_serves);
    f.rt.run_until(t0 + hours(50) - nanoseconds(1));
    CHECK(f.github.job(third)->status == JobStatus::queued);
    f.rt.run_until(t0 + hours(50));
    CHECK(f.github.job(third)->expired_in_queue);
}

TEST_CASE("GitHub cancels a job left queued for 24 hours", "[sim-github]") {
    GitHubFixture f;
    const Instant t0 = f.rt.now();
    const std::int64_t stale = queue(f, {"self-hosted", "gpu"});
    const std::int64_t served = queue(f, kPoolLabels);
    const std::int64_t cancelled = queue(f, kPoolLabels);
    f.github.cancel_job(cancelled);
    CHECK(f.github.job(cancelled)->conclusion == "cancelled");
    CHECK_FALSE(f.github.job(cancelled)->expired_in_queue);

    const std::string token = f.mint(f.org);
    const std::int64_t runner = online_runner(f, token, "r");
    REQUIRE(f.run(f.github.wait_for_job(runner, minutes(1)))->job_id == served);

    f.rt.run_until(t0 + hours(24) - nanoseconds(1));
    CHECK(f.github.job(stale)->status == JobStatus::queued);
    f.rt.run_until(t0 + hours(24));
    const auto* expired = f.github.job(stale);
    CHECK(expired->status == JobStatus::completed);
    CHECK(expired->conclusion == "cancelled");
    CHECK(expired->expired_in_queue);
    CHECK(expired->completed_at == t0 + hours(24));
    CHECK(f.github.job(served)->status == JobStatus::in_progress);
    // Every transition sent a webhook: 3 queued, 1 cancelled, 1 in_progress, 1 expired.
    CHECK(f.github.payloads().size() == 6);
    CHECK(f.github.payloads().back().action == "completed");
    // The API tells a job that never had a runner from one that ran (runner_id null or not).
    const std::string fresh = f.mint(f.org);
    CHECK(f.run(f.github.get_job_status(fresh, "acme", "app", stale)).value() ==
          JobStatus::completed_never_ran);
    CHECK(f.run(f.github.get_job_status(fresh, "acme", "app", cancelled)).value() ==
          JobStatus::completed_never_ran);
    CHECK(f.run(f.github.get_job_status(fresh, "acme", "app", served)).value() ==
          JobStatus::in_progress);
    CHECK(f.github.payloads().back().job_id == stale);
}
