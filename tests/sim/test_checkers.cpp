// Each checker fails on a run crafted to violate its invariant, and passes on the clean run. The
// violations come from a "rogue" outside the control plane (a consumer that deletes before
// handling, a launcher that bypasses the ledger, a broken intake), or from a control plane that is
// configured to fail (no recovery paths, no capacity).
#include <catch2/catch.hpp>

#include "core/consumer/job_message.hpp"
#include "sim/checkers/checker.hpp"

using namespace scaleup;
using namespace scaleup::sim;

namespace {
WorldOptions clean_world() {
    WorldOptions options;
    options.seed = 11;
    options.run_for = hours(1);
    options.drain = minutes(30);
    options.config.max_runners = 20;
    options.workload.jobs_per_hour = 60;
    options.workload.owners = {WorkloadOwner{"acme", {"app", "web"}, 1, 1, "Organization"}};
    options.consumers.consumers = 2;
    return options;
}

CheckerResult run_checker(World& world, const char* name) {
    world.run();
    return make_checker(name)->check(world, CheckerSettings{});
}

Task<void> rogue_consumer(World& world) {
    co_await world.runtime().sleep(minutes(10));
    auto batch = co_await world.sqs().receive(10, seconds(20));
    if (!batch.ok())
        co_return;
    for (const auto& m : batch.value())
        (void)co_await world.sqs().delete_message(m.receipt_handle);
}

Task<void> rogue_launcher(World& world, int count, InstanceTags tags) {
    co_await world.runtime().sleep(minutes(5));
    // Named, not a temporary in the co_await: g++ 12 destroys such temporaries twice.
    LaunchRequest request{"rogue", count, std::make_shared<const InstanceTags>(std::move(tags))};
    (void)co_await world.ec2().create_fleet(std::move(request));
}

// Dead-letters a body a consumer received (the usual case), one that was never a message and
// one that is not a message at all.
Task<void> rogue_dead_letters(World& world, std::string never_sent) {
    co_await world.runtime().sleep(minutes(10));
    auto batch = co_await world.sqs().receive(1, seconds(20));
    if (!batch.ok() || batch.value().empty())
        co_return;
    const std::string received = batch.value().front().body;
    (void)co_await world.sqs().send_to_dead_letter(received, "rogue");
    (void)co_await world.sqs().send_to_dead_letter(std::move(never_sent), "rogue");
    (void)co_await world.sqs().send_to_dead_letter("not json", "rogue");
}

AppJwtClaims rogue_claims(const World& world) {
    const auto now = unix_seconds(world.runtime().now());
    return AppJwtClaims{world.options().github.app_id, now - 60, now + 500, "rogue-jti"};
}

// A plain function builds the claims and starts the call, as the core does (docs/architecture.md,
// compiler notes: a class prvalue argument written inside a co_await is freed twice by g++ 12).
Task<Result<InstallationToken>> start_mint(World& world) {
    return world.github().create_installation_token(world.installations().at(0),
                                                    rogue_claims(world));
}

Task<void> rogue_token_user(World& world) {
    auto token = co_await start_mint(world);
    if (!token.ok())
        co_return;
    co_await world.runtime().sleep(minutes(61));
    const std::string expired = token.value().token;
    (void)co_await world.github().get_job_status(expired, "acme", "app", 1);
}
}  // namespace

TEST_CASE("every checker passes the clean run", "[checkers]") {
    World world(clean_world(), nullptr);
    world.run();
    for (const auto& checker : all_checkers()) {
        const auto result = checker->check(world, CheckerSettings{});
        INFO(result.checker << ": " << result.summary);
        CHECK(result.passed);
    }
}

TEST_CASE("no_job_lost fails when deliveries fail and no recovery path runs", "[checkers]") {
    auto options = clean_world();
    options.github.intake_unreachable.push_back({kSimulationEpoch, kSimulationEpoch + hours(2)});
    options.sweep_interval = hours(100);      // the sweeper never redelivers
    options.reconcile_interval = hours(100);  // the reconciler never requeues
    World world(options, nullptr);
    const auto result = run_checker(world, "no_job_lost");
    CHECK_FALSE(result.passed);
    CHECK_THAT(result.findings.front(), Catch::StartsWith("LOST job"));
}

TEST_CASE("liveness fails when queued jobs are never picked up", "[checkers]") {
    auto options = clean_world();
    options.config.max_runners = 0;  // every message is deferred, forever
    World world(options, nullptr);
    const auto result = run_checker(world, "liveness");
    CHECK_FALSE(result.passed);
    CHECK(make_checker("no_job_lost")->check(world, CheckerSettings{}).passed);  // stuck, not lost
}

TEST_CASE("no_orphans fails on instances nobody configures or terminates", "[checkers]") {
    World world(clean_world(), nullptr);
    world.runtime().spawn(rogue_launcher(world, 3, {{"team", "not-scaleup"}}));
    const auto result = run_checker(world, "no_orphans");
    CHECK_FALSE(result.passed);
    CHECK(result.findings.size() == 3);
}

TEST_CASE("capacity fails when instances are launched past the ledger", "[checkers]") {
    World world(clean_world(), nullptr);
    world.runtime().spawn(rogue_launcher(world, 25, {{"team", "not-scaleup"}}));
    const auto result = run_checker(world, "capacity");
    CHECK_FALSE(result.passed);
}

TEST_CASE("ack_after_durability fails when a consumer deletes before handling", "[checkers]") {
    auto options = clean_world();
    options.workload.bursts = {WorkloadBurst{minutes(10), 60}};  // more than the consumers hold
    World world(options, nullptr);
    world.runtime().spawn(rogue_consumer(world));
    const auto result = run_checker(world, "ack_after_durability");
    CHECK_FALSE(result.passed);
    REQUIRE_FALSE(result.findings.empty());
    CHECK_THAT(result.findings.front(), Catch::Contains("before its job was handled"));
}

TEST_CASE("the classification reads the job of every dead letter, a message's body or not",
          "[checkers]") {
    auto options = clean_world();
    options.workload.bursts = {WorkloadBurst{minutes(10), 30}};  // a message is waiting at 10 min
    World world(options, nullptr);
    JobMessage never_sent;
    never_sent.job_id = 424242;
    never_sent.owner = "acme";
    never_sent.repo = "app";
    never_sent.labels = {"self-hosted"};
    world.runtime().spawn(rogue_dead_letters(world, never_sent.to_json()));
    world.run();
    const auto jobs = classify_jobs(world);
    const auto& letters = world.sqs().dead_letters();
    REQUIRE(jobs.dead_letter_jobs.size() == letters.size());
    std::vector<std::size_t> rogue;
    for (std::size_t i = 0; i < letters.size(); ++i) {
        if (letters[i].reason == "rogue")
            rogue.push_back(i);
    }
    REQUIRE(rogue.size() == 3);
    const auto received_job = JobMessage::parse(letters[rogue[0]].body).job_id;
    CHECK(jobs.dead_letter_jobs[rogue[0]] == std::optional<std::int64_t>(received_job));
    CHECK(jobs.dead_letter_jobs[rogue[1]] == std::optional<std::int64_t>(424242));
    CHECK_FALSE(jobs.dead_letter_jobs[rogue[2]].has_value());
    CHECK(jobs.jobs.at(received_job).dead_lettered_at.has_value());
}

TEST_CASE("token_hygiene fails when an expired token reaches GitHub", "[checkers]") {
    World world(clean_world(), nullptr);
    world.runtime().spawn(rogue_token_user(world));
    const auto result = run_checker(world, "token_hygiene");
    CHECK_FALSE(result.passed);
    CHECK_THAT(result.findings.front(), Catch::Contains("expired token"));
}

TEST_CASE("accounted_outcomes fails when one delivery is handled twice", "[checkers]") {
    World world(clean_world(), nullptr);
    world.set_intake([&world](WebhookDelivery delivery) -> Task<WebhookResponse> {
        (void)co_await world.intake().handle(delivery);  // a double count: two outcomes, one call
        co_return co_await world.intake().handle(std::move(delivery));
    });
    const auto result = run_checker(world, "accounted_outcomes");
    CHECK_FALSE(result.passed);
}
