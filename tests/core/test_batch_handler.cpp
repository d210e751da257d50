// BatchHandler rules 1-4, 7 and 12: acknowledgement only after durability, nothing acknowledged by
// default, malformed bodies dead-lettered, grouping and de-duplication, the queued check, outcomes.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "tests/core/consumer_harness.hpp"

using namespace scaleup;
using namespace scaleup::testing;

namespace {
/// A fleet whose CreateFleet throws: a stand-in for any unclassified error (a bug, a library
/// throw).
class ThrowingFleet final : public FleetPort {
  public:
    explicit ThrowingFleet(FleetPort& inner, int throw_on_call)
        : inner_(inner), throw_on_(throw_on_call) {}
    Task<Result<LaunchResult>> create_fleet(LaunchRequest request) override {
        if (++calls_ == throw_on_)
            throw std::runtime_error("unexpected: octokit HttpError 404");
        return inner_.create_fleet(std::move(request));
    }
    Task<Result<std::vector<InstanceInfo>>> describe_instances(InstanceTags t) override {
        return inner_.describe_instances(std::move(t));
    }
    Task<Status> terminate_instances(std::vector<std::string> ids) override {
        return inner_.terminate_instances(std::move(ids));
    }
    Task<Status> tag_instance(std::string id, std::string k, std::string v) override {
        return inner_.tag_instance(std::move(id), std::move(k), std::move(v));
    }

  private:
    FleetPort& inner_;
    int throw_on_;
    int calls_ = 0;
};
}  // namespace

TEST_CASE("rule 1: a message is acknowledged once its instance is launched and configured",
          "[consumer]") {
    ConsumerHarness h;
    const auto result = h.run({job_message("m1", 101), job_message("m2", 102)});
    CHECK(result.item_failures.empty());
    for (const auto& report : result.reports)
        CHECK(report.outcome == MessageOutcome::runner_launched);
    REQUIRE(h.fleet.launched.size() == 2);
    for (const auto& id : h.fleet.launched) {
        CHECK(h.config_store.configs.at(id) == "jit:scaleup-" + id);  // config stored per instance
    }
    CHECK(h.ledger.configured.at(101) == report_for(result, "m1").detail);
    CHECK(h.ledger.configured.at(102) == report_for(result, "m2").detail);
    CHECK(h.github.jit_calls.size() == 2);
}

TEST_CASE("rule 2: an unexpected error returns every message not yet durably handled",
          "[consumer]") {
    ConsumerHarness h;
    // Two groups (two owners); CreateFleet throws for the second group only.
    ThrowingFleet throwing(h.fleet, 2);
    BatchHandler handler(h.rt, h.config, ConsumerPorts{h.queue, throwing, h.config_store, h.ledger},
                         h.tokens, h.github_client, h.metrics);
    BatchResult result;
    h.rt.spawn(ConsumerHarness::run_into(
        handler,
        {job_message("a1", 1, "alpha"), job_message("b1", 2, "beta"), job_message("b2", 3, "beta")},
        h.rt.now() + seconds(30), result));
    h.rt.run();
    CHECK(report_for(result, "a1").outcome == MessageOutcome::runner_launched);
    CHECK(report_for(result, "b1").outcome == MessageOutcome::unexpected_error_retry);
    CHECK(report_for(result, "b2").outcome == MessageOutcome::unexpected_error_retry);
    CHECK(report_for(result, "b1").detail == "unexpected: octokit HttpError 404");
    CHECK(result.item_failures == std::vector<std::string>{"b1", "b2"});
}

TEST_CASE("rule 2: an error before anything is durable returns the whole batch", "[consumer]") {
    ConsumerHarness h;
    ThrowingFleet throwing(h.fleet, 1);
    BatchHandler handler(h.rt, h.config, ConsumerPorts{h.queue, throwing, h.config_store, h.ledger},
                         h.tokens, h.github_client, h.metrics);
    BatchResult result;
    h.rt.spawn(ConsumerHarness::run_into(handler, {job_message("m1", 1), job_message("m2", 2)},
                                         h.rt.now() + seconds(30), result));
    h.rt.run();
    CHECK(result.item_failures == std::vector<std::string>{"m1", "m2"});
}

TEST_CASE("rule 3: a malformed body is dead-lettered with its reason, then acknowledged",
          "[consumer]") {
    ConsumerHarness h;
    QueueMessage bad{"bad", "rh-bad", "not-json{", 1, {}};
    const auto result = h.run({job_message("m1", 1), bad});
    CHECK(report_for(result, "bad").outcome == MessageOutcome::dead_lettered_malformed);
    CHECK(result.item_failures.empty());
    REQUIRE(h.queue.dead_letters.size() == 1);
    CHECK(h.queue.dead_letters[0].body == "not-json{");
    CHECK_THAT(h.queue.dead_letters[0].reason, Catch::Contains("not valid JSON"));
    CHECK(report_for(result, "m1").outcome == MessageOutcome::runner_launched);
}

TEST_CASE("rule 3: when the dead-letter send fails, the malformed message is kept", "[consumer]") {
    ScaleUpConfig config;
    config.aws_retry.attempts = 2;
    ConsumerHarness h(config);
    h.queue.dead_letter_failures = {aws_error(ErrorKind::transient, "sqs", "ServiceUnavailable"),
                                    aws_error(ErrorKind::transient, "sqs", "ServiceUnavailable")};
    const auto result = h.run({QueueMessage{"bad", "rh", R"({"job_id": "seven"})", 1, {}}});
    CHECK(report_for(result, "bad").outcome == MessageOutcome::dead_letter_failed_retry);
    CHECK(result.item_failures == std::vector<std::string>{"bad"});
    CHECK(h.queue.dead_letters.empty());
}

TEST_CASE("rule 4: messages are grouped by owner and label set, one CreateFleet per group",
          "[consumer]") {
    ScaleUpConfig config;
    config.max_runners = 10;
    ConsumerHarness h(config);
    const auto result = h.run({job_message("a1", 1, "alpha"), job_message("b1", 2, "beta"),
                               job_message("a2", 3, "alpha"),
                               job_message("a3", 4, "alpha", {"self-hosted", "linux", "x64"})});
    CHECK(result.item_failures.empty());
    REQUIRE(h.fleet.requests.size() == 3);
    // std::map order of (owner, labels): alpha/[linux,self-hosted], alpha/[linux,self-hosted,x64],
    // beta
    CHECK(h.fleet.requests[0].count == 2);
    CHECK(h.fleet.requests[0].tags->at("scaleup:owner") == "alpha");
    CHECK(h.fleet.requests[1].count == 1);
    CHECK(h.fleet.requests[2].count == 1);
    CHECK(h.fleet.requests[2].tags->at("scaleup:owner") == "beta");
}

TEST_CASE("rule 4: duplicates of one job in a batch get one runner", "[consumer]") {
    ConsumerHarness h;
    const auto result = h.run({job_message("m1", 7), job_message("m2", 7), job_message("m3", 8)});
    CHECK(h.fleet.launched.size() == 2);
    CHECK(report_for(result, "m1").outcome == MessageOutcome::runner_launched);
    CHECK(report_for(result, "m2").outcome == MessageOutcome::duplicate_in_batch);
    CHECK(result.item_failures.empty());
}

TEST_CASE("rule 4: a redelivered message of a served job launches nothing", "[consumer]") {
    ConsumerHarness h;
    (void)h.run({job_message("m1", 7)});
    const auto again = h.run({job_message("m1-redelivered", 7)});
    CHECK(h.fleet.launched.size() == 1);
    CHECK(report_for(again, "m1-redelivered").outcome == MessageOutcome::already_served);
    CHECK(again.item_failures.empty());
}

TEST_CASE("rule 4: a duplicate follows its primary back to the queue when the primary fails",
          "[consumer]") {
    ConsumerHarness h;
    h.fleet.capacity = 0;  // InsufficientInstanceCapacity for everything
    const auto result = h.run({job_message("m1", 7), job_message("m2", 7)});
    CHECK(report_for(result, "m1").outcome == MessageOutcome::fleet_capacity_retry);
    CHECK(report_for(result, "m2").outcome == MessageOutcome::fleet_capacity_retry);
    CHECK(result.item_failures == std::vector<std::string>{"m1", "m2"});
}

TEST_CASE("rule 7: a job that ended without a runner is acknowledged with its reason",
          "[consumer]") {
    ScaleUpConfig config;
    config.job_queued_check = true;
    ConsumerHarness h(config);
    h.github.job_script = {JobStatus::completed_never_ran, JobStatus::queued};
    const auto result = h.run({job_message("cancelled", 1), job_message("waiting", 2)});
    CHECK(report_for(result, "cancelled").outcome == MessageOutcome::job_not_queued);
    CHECK(report_for(result, "cancelled").detail ==
          "GitHub reports the job ended without a runner");
    CHECK(report_for(result, "waiting").outcome == MessageOutcome::runner_launched);
    CHECK(h.fleet.launched.size() == 1);
    CHECK(result.item_failures.empty());
}

TEST_CASE("rule 7: with ephemeral runners, a job another runner took still gets its launch",
          "[consumer]") {
    ScaleUpConfig config;
    config.job_queued_check = true;
    ConsumerHarness h(config);
    // Taken by a runner launched for another job (in progress, or already done): that job now
    // needs the runner this message launches.
    h.github.job_script = {JobStatus::in_progress, JobStatus::completed};
    const auto result = h.run({job_message("running", 1), job_message("done", 2)});
    CHECK(report_for(result, "running").outcome == MessageOutcome::runner_launched);
    CHECK(report_for(result, "done").outcome == MessageOutcome::runner_launched);
    CHECK(h.fleet.launched.size() == 2);
    CHECK(h.metrics.value("scaleup_consumer_queued_check_total",
                          {{"result", "taken_launch_anyway"}}) == 2);
}

TEST_CASE("rule 7: with reusable runners, a job no longer queued is acknowledged", "[consumer]") {
    ScaleUpConfig config;
    config.job_queued_check = true;
    config.ephemeral = false;
    ConsumerHarness h(config);
    h.github.job_script = {JobStatus::in_progress, JobStatus::queued};
    const auto result = h.run({job_message("running", 1), job_message("waiting", 2)});
    CHECK(report_for(result, "running").outcome == MessageOutcome::job_not_queued);
    CHECK(report_for(result, "running").detail == "GitHub reports the job is no longer queued");
    CHECK(report_for(result, "waiting").outcome == MessageOutcome::runner_launched);
    CHECK(h.fleet.launched.size() == 1);
}

TEST_CASE("rule 7: an error of the queued check fails open", "[consumer]") {
    ScaleUpConfig config;
    config.job_queued_check = true;
    config.github_retry.attempts = 1;
    ConsumerHarness h(config);
    h.github.job_script = {github_error(ErrorKind::transient, "502", "Bad Gateway")};
    const auto result = h.run({job_message("m1", 1)});
    CHECK(report_for(result, "m1").outcome == MessageOutcome::runner_launched);
    CHECK(h.metrics.value("scaleup_consumer_queued_check_total", {{"result", "error_fail_open"}}) ==
          1);
}

TEST_CASE(
    "rule 7: the queued check is skipped while the installation is ahead of its budget's pace",
    "[consumer]") {
    ScaleUpConfig config;
    config.job_queued_check = true;
    ConsumerHarness h(config);
    // 15 of 60 minutes left, less than a quarter of the budget: ahead of the pro-rata pace.
    h.github.budget_headers = RateBudget{1000, 249, h.rt.now() + minutes(15)};
    const auto first = h.run({job_message("m1", 1), job_message("m2", 2), job_message("m3", 3)});
    // The first check learns the budget; the other two are skipped and launch as if queued.
    CHECK(h.github.job_calls.size() == 1);
    for (const char* id : {"m1", "m2", "m3"})
        CHECK(report_for(first, id).outcome == MessageOutcome::runner_launched);
    CHECK(h.metrics.value("scaleup_consumer_queued_check_total",
                          {{"result", "skipped_low_budget"}}) == 2);

    // Once the reset has passed the budget is whole again: the check runs.
    h.rt.run_for(minutes(16));
    (void)h.run({job_message("m4", 4)});
    CHECK(h.github.job_calls.size() == 2);
}

TEST_CASE("rule 7: the queued check runs while the installation keeps to its budget's pace",
          "[consumer]") {
    ScaleUpConfig config;
    config.job_queued_check = true;
    ConsumerHarness h(config);
    // A quarter of the budget left with a quarter of the hour to go: on pace (and more so as the
    // batch's calls take their time).
    h.github.budget_headers = RateBudget{1000, 250, h.rt.now() + minutes(15)};
    (void)h.run({job_message("m1", 1), job_message("m2", 2), job_message("m3", 3)});
    CHECK(h.github.job_calls.size() == 3);
    CHECK(h.metrics.value("scaleup_consumer_queued_check_total",
                          {{"result", "skipped_low_budget"}}) == 0);
}

TEST_CASE("labels the pool does not serve and user-owned repositories are refused with a reason",
          "[consumer]") {
    ConsumerHarness h;
    auto user_job = job_message("user", 2);
    {
        auto job = JobMessage::parse(user_job.body);
        job.owner_type = "User";
        user_job.body = job.to_json();
    }
    const auto result = h.run({job_message("gpu", 1, "acme", {"self-hosted", "gpu"}), user_job});
    CHECK(report_for(result, "gpu").outcome == MessageOutcome::no_matching_labels);
    CHECK(report_for(result, "user").outcome == MessageOutcome::not_organization);
    CHECK(h.fleet.requests.empty());
}

TEST_CASE("rule 12: every message ends with exactly one outcome, counted per outcome",
          "[consumer]") {
    ScaleUpConfig config;
    config.max_runners = 2;
    ConsumerHarness h(config);
    const auto result = h.run({job_message("m1", 1), job_message("m2", 2), job_message("m3", 3),
                               QueueMessage{"bad", "rh", "{}", 1, {}}});
    REQUIRE(result.reports.size() == 4);
    CHECK(h.metrics.total("scaleup_consumer_messages_total") == 4);
    CHECK(h.metrics.value("scaleup_consumer_messages_total", {{"outcome", "runner_launched"}}) ==
          2);
    CHECK(h.metrics.value("scaleup_consumer_messages_total", {{"outcome", "capacity_deferred"}}) ==
          1);
    CHECK(h.metrics.value("scaleup_consumer_messages_total",
                          {{"outcome", "dead_lettered_malformed"}}) == 1);
    for (const auto outcome : kAllMessageOutcomes)
        CHECK_FALSE(to_string(outcome).empty());
}

TEST_CASE("rule 4: a reconciler requeue of a job whose instance is gone launches again",
          "[consumer]") {
    ConsumerHarness h;
    (void)h.run({job_message("m1", 7)});  // served by an instance that later failed to boot
    auto requeue = job_message("m1-requeued", 7);
    {
        auto job = JobMessage::parse(requeue.body);
        job.attempt = 1;
        requeue.body = job.to_json();
    }
    const auto again = h.run({requeue});
    CHECK(report_for(again, "m1-requeued").outcome == MessageOutcome::runner_launched);
    CHECK(h.fleet.launched.size() == 2);
}

TEST_CASE("a message deferred for want of a slot is noted as capacity pressure", "[consumer]") {
    ScaleUpConfig config;
    config.max_runners = 1;
    ConsumerHarness h(config);
    CapacityPressure pressure;
    h.handler.report_deferrals_to(pressure);
    const Instant start = h.rt.now();
    (void)h.run({job_message("m1", 1)});  // the one slot: nothing deferred
    CHECK_FALSE(pressure.deferred_since(start));
    const auto result = h.run({job_message("m2", 2)});
    CHECK(report_for(result, "m2").outcome == MessageOutcome::capacity_deferred);
    CHECK(pressure.deferred_since(start));
    CHECK_FALSE(pressure.deferred_since(h.rt.now() + seconds(1)));
}
