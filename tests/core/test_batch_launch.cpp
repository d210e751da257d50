// BatchHandler rules 6 and 8-11: rate limits against the deadline, capacity across consumers,
// partial CreateFleet, configuration failures, and the handler's own deadline.
#include <catch2/catch.hpp>

#include "tests/core/consumer_harness.hpp"

using namespace scaleup;
using namespace scaleup::testing;

TEST_CASE(
    "rule 6: a rate limit that outlasts the deadline returns the message with a visibility delay",
    "[consumer]") {
    ConsumerHarness h;
    const Instant reset = h.rt.now() + minutes(20);
    h.github.jit_script = {
        github_error(ErrorKind::rate_limited, "403", "API rate limit exceeded", reset)};
    const auto result = h.run({job_message("m1", 1)});
    const auto& report = report_for(result, "m1");
    CHECK(report.outcome == MessageOutcome::rate_limited_retry);
    REQUIRE(report.visibility_delay.has_value());
    // Returned at once rather than sleeping 20 minutes inside a 30 s handler.
    CHECK(h.rt.now() < h.rt.now() + seconds(30));
    CHECK(h.queue.visibility_changes.at("rh-m1") <= minutes(20));
    CHECK(h.queue.visibility_changes.at("rh-m1") > minutes(19));
    // The instance launched for it was terminated and its slot released.
    CHECK(h.fleet.live().empty());
    CHECK(h.ledger.held.empty());
}

TEST_CASE("an installation suspended (403) is dead-lettered with GitHub's words, never silent",
          "[consumer]") {
    ConsumerHarness h;
    h.github.mint_script = {
        github_error(ErrorKind::forbidden, "403", "This installation has been suspended")};
    const auto result = h.run({job_message("m1", 1)});
    CHECK(report_for(result, "m1").outcome == MessageOutcome::dead_lettered_permanent_error);
    REQUIRE(h.queue.dead_letters.size() == 1);
    CHECK_THAT(h.queue.dead_letters[0].reason,
               Catch::Contains("This installation has been suspended"));
    CHECK(h.fleet.requests.empty());  // nothing launched that could not be configured
    CHECK(result.item_failures.empty());
}

TEST_CASE("rule 8: messages beyond the maximum come back later with a delay", "[consumer]") {
    ScaleUpConfig config;
    config.max_runners = 3;
    ConsumerHarness h(config);
    const auto result = h.run({job_message("m1", 1), job_message("m2", 2), job_message("m3", 3),
                               job_message("m4", 4), job_message("m5", 5)});
    CHECK(h.fleet.launched.size() == 3);
    CHECK(result.item_failures.size() == 2);
    for (const auto& id : result.item_failures) {
        CHECK(report_for(result, id).outcome == MessageOutcome::capacity_deferred);
        CHECK(h.queue.visibility_changes.at("rh-" + id) >= seconds(15));
        CHECK(h.queue.visibility_changes.at("rh-" + id) <= seconds(30));
    }
}

TEST_CASE("rule 8: older messages get the free slots first, and deferral backs off", "[consumer]") {
    ScaleUpConfig config;
    config.max_runners = 1;
    ConsumerHarness h(config);
    const auto result = h.run({job_message("new", 1, "acme", {"self-hosted"}, 1),
                               job_message("old", 2, "acme", {"self-hosted"}, 4)});
    CHECK(report_for(result, "old").outcome == MessageOutcome::runner_launched);
    CHECK(report_for(result, "new").outcome == MessageOutcome::capacity_deferred);
    const auto again = h.run({job_message("new", 1, "acme", {"self-hosted"}, 5)});
    // 30 s doubled four times = 480 s, jittered into [240, 480].
    CHECK(h.queue.visibility_changes.at("rh-new") >= seconds(240));
    CHECK(h.queue.visibility_changes.at("rh-new") <= seconds(480));
}

TEST_CASE("rule 8: several consumers at once never exceed the maximum", "[consumer]") {
    ScaleUpConfig config;
    config.max_runners = 4;
    ConsumerHarness h(config);
    BatchResult results[3];
    for (int c = 0; c < 3; ++c) {
        std::vector<QueueMessage> batch;
        for (int j = 0; j < 3; ++j) {
            const int job = c * 10 + j + 1;
            batch.push_back(job_message(fmt::format("c{}-{}", c, j), job, fmt::format("org{}", j)));
        }
        h.rt.spawn(ConsumerHarness::run_into(h.handler, std::move(batch), h.rt.now() + seconds(30),
                                             results[c]));
    }
    h.rt.run();
    CHECK(h.fleet.launched.size() == 4);
    CHECK(h.ledger.max_live_seen <= 4);
    int deferred = 0;
    for (const auto& r : results)
        deferred += static_cast<int>(r.item_failures.size());
    CHECK(deferred == 5);
}

TEST_CASE("rule 9: a partial CreateFleet keeps what launched and returns exactly the unserved jobs",
          "[consumer]") {
    ConsumerHarness h;
    h.fleet.capacity = 2;
    const auto result = h.run({job_message("m1", 1, "acme", {"self-hosted"}, 1),
                               job_message("m2", 2, "acme", {"self-hosted"}, 3),
                               job_message("m3", 3, "acme", {"self-hosted"}, 2),
                               job_message("m4", 4, "acme", {"self-hosted"}, 1)});
    CHECK(h.fleet.launched.size() == 2);
    for (const auto& id : h.fleet.launched)
        CHECK(h.config_store.configs.count(id) == 1);
    // Older messages were paired first (m2, then m3); m1 and m4 got no instance.
    CHECK(report_for(result, "m2").outcome == MessageOutcome::runner_launched);
    CHECK(report_for(result, "m3").outcome == MessageOutcome::runner_launched);
    CHECK(result.item_failures == std::vector<std::string>{"m1", "m4"});
    CHECK(report_for(result, "m1").outcome == MessageOutcome::fleet_capacity_retry);
    CHECK_THAT(report_for(result, "m1").detail, Catch::Contains("InsufficientInstanceCapacity"));
    CHECK(h.ledger.held.size() == 2);  // the two unserved slots went back
}

TEST_CASE("rule 9: a non-retryable fleet error dead-letters exactly the unserved jobs",
          "[consumer]") {
    ConsumerHarness h;
    h.fleet.capacity = 1;
    h.fleet.shortfall_code = "InvalidLaunchTemplateName.NotFoundException";
    const auto result = h.run({job_message("m1", 1), job_message("m2", 2)});
    CHECK(report_for(result, "m1").outcome == MessageOutcome::runner_launched);
    CHECK(report_for(result, "m2").outcome == MessageOutcome::dead_lettered_permanent_error);
    REQUIRE(h.queue.dead_letters.size() == 1);
    CHECK_THAT(h.queue.dead_letters[0].reason, Catch::Contains("InvalidLaunchTemplateName"));
    CHECK(result.item_failures.empty());
}

TEST_CASE("rule 9: a failed CreateFleet call releases the reservation and returns the group",
          "[consumer]") {
    ScaleUpConfig config;
    config.aws_retry.attempts = 1;
    ConsumerHarness h(config);
    h.fleet.create_failures = {aws_error(ErrorKind::throttled, "ec2", "RequestLimitExceeded")};
    const auto result = h.run({job_message("m1", 1), job_message("m2", 2)});
    CHECK(result.item_failures == std::vector<std::string>{"m1", "m2"});
    CHECK(report_for(result, "m1").outcome == MessageOutcome::fleet_capacity_retry);
    CHECK(h.ledger.live_slots() == 0);
}

TEST_CASE("rule 9: a lost CreateFleet response followed by throttling never frees the slots",
          "[consumer]") {
    // The first try launched and lost its response; every retry was throttled. A throttled try
    // did nothing, but that does not make the first one's outcome known: the slots must stay
    // taken while the launched instances live (the capacity overshoot exploration found).
    ScaleUpConfig config;
    config.aws_retry.attempts = 3;
    ConsumerHarness h(config);
    h.fleet.lost_create_responses = 1;
    h.fleet.create_failures = {aws_error(ErrorKind::throttled, "ec2", "RequestLimitExceeded"),
                               aws_error(ErrorKind::throttled, "ec2", "RequestLimitExceeded")};
    h.fleet.describe_failures = {aws_error(ErrorKind::transient, "ec2", "Unavailable"),
                                 aws_error(ErrorKind::transient, "ec2", "Unavailable"),
                                 aws_error(ErrorKind::transient, "ec2", "Unavailable")};
    const auto result = h.run({job_message("m1", 1), job_message("m2", 2)});
    CHECK(result.item_failures == std::vector<std::string>{"m1", "m2"});
    CHECK(h.fleet.live().size() == 2);
    CHECK(h.ledger.live_slots() == 2);  // the reservation is kept, not released
}

TEST_CASE("rule 9: the instances of a lost CreateFleet response are found by tag and used",
          "[consumer]") {
    ScaleUpConfig config;
    config.aws_retry.attempts = 2;
    ConsumerHarness h(config);
    h.fleet.lost_create_responses = 1;
    h.fleet.create_failures = {aws_error(ErrorKind::throttled, "ec2", "RequestLimitExceeded")};
    const auto result = h.run({job_message("m1", 1), job_message("m2", 2)});
    CHECK(result.item_failures.empty());
    CHECK(report_for(result, "m1").outcome == MessageOutcome::runner_launched);
    CHECK(report_for(result, "m2").outcome == MessageOutcome::runner_launched);
    CHECK(h.fleet.launched.size() == 2);  // nothing launched twice
    CHECK(h.ledger.held.size() == 2);
    CHECK(h.ledger.live_slots() == 2);
    CHECK(h.config_store.configs.size() == 2);
    CHECK(h.rt.probes().count(Probe::fleet_outcome_recovered) == 1);
}

TEST_CASE(
    "rule 10: an instance whose JIT config fails is terminated, its slot released, its message "
    "returned",
    "[consumer]") {
    ScaleUpConfig config;
    config.github_retry.attempts = 1;
    ConsumerHarness h(config);
    h.github.jit_script = {JitConfig{1, "jit-ok"},
                           github_error(ErrorKind::transient, "503", "Service Unavailable"),
                           JitConfig{3, "jit-ok"}};
    const auto result = h.run({job_message("m1", 1), job_message("m2", 2), job_message("m3", 3)});
    CHECK(h.github.jit_calls.size() == 3);  // one failure does not stop the others
    CHECK(result.item_failures == std::vector<std::string>{"m2"});
    CHECK(report_for(result, "m2").outcome == MessageOutcome::config_failed_retry);
    CHECK(h.fleet.terminated.size() == 1);
    CHECK(h.fleet.live().size() == 2);
    CHECK(h.ledger.held.size() == 2);
    CHECK(h.config_store.configs.size() == 2);
}

TEST_CASE("rule 10: a config store failure terminates the instance too", "[consumer]") {
    ScaleUpConfig config;
    config.aws_retry.attempts = 2;
    ConsumerHarness h(config);
    h.config_store.put_failures = {aws_error(ErrorKind::throttled, "ssm", "ThrottlingException"),
                                   aws_error(ErrorKind::throttled, "ssm", "ThrottlingException")};
    const auto result = h.run({job_message("m1", 1)});
    CHECK(report_for(result, "m1").outcome == MessageOutcome::config_failed_retry);
    CHECK(h.fleet.live().empty());
    CHECK(h.ledger.held.empty());
}

TEST_CASE("rule 11: the handler returns before its deadline, unfinished work comes back",
          "[consumer]") {
    ScaleUpConfig config;  // 30 s timeout, 3 s margin
    config.max_runners = 10;
    ConsumerHarness h(config);
    h.github.latency = seconds(6);  // each JIT config takes 6 s
    std::vector<QueueMessage> batch;
    for (int i = 1; i <= 6; ++i)
        batch.push_back(job_message(fmt::format("m{}", i), i));
    const Instant start = h.rt.now();
    BatchResult result;
    Instant returned_at;
    h.rt.spawn([](ConsumerHarness& hh, std::vector<QueueMessage> b, Instant deadline,
                  BatchResult& out, Instant& at) -> Task<void> {
        out = co_await hh.handler.handle(std::move(b), deadline);
        at = hh.rt.now();
    }(h, std::move(batch), start + seconds(30), result, returned_at));
    h.rt.run();
    CHECK(returned_at <= start + seconds(30));
    int launched = 0, deadline_retries = 0;
    for (const auto& r : result.reports) {
        launched += r.outcome == MessageOutcome::runner_launched ? 1 : 0;
        deadline_retries += r.outcome == MessageOutcome::deadline_retry ? 1 : 0;
    }
    CHECK(launched >= 1);
    CHECK(launched + static_cast<int>(result.item_failures.size()) == 6);
    for (const auto& r : result.reports)
        UNSCOPED_INFO(r.message_id << " " << to_string(r.outcome) << " " << r.detail);
    CHECK(deadline_retries >= 1);
    // Every instance either serves a launched message or was terminated: no orphan left behind.
    CHECK(static_cast<int>(h.fleet.live().size()) == launched);
    CHECK(static_cast<int>(h.ledger.held.size()) == launched);
}

TEST_CASE(
    "a CreateFleet short of instances is capacity pressure, one short for another reason is "
    "not",
    "[consumer]") {
    for (const auto& [code, pressing] :
         std::vector<std::pair<std::string, bool>>{{"InsufficientInstanceCapacity", true},
                                                   {"UnfulfillableCapacity", true},
                                                   {"MaxSpotInstanceCountExceeded", true},
                                                   {"RequestLimitExceeded", false},
                                                   {"InternalError", false}}) {
        ConsumerHarness h;
        CapacityPressure pressure;
        h.handler.report_deferrals_to(pressure);
        h.fleet.capacity = 1;
        h.fleet.shortfall_code = code;
        const Instant start = h.rt.now();
        const auto result = h.run({job_message("m1", 1), job_message("m2", 2)});
        CHECK(report_for(result, "m2").outcome == MessageOutcome::fleet_capacity_retry);
        CHECK(pressure.deferred_since(start) == pressing);
    }
}
