// Reconciler: a job GitHub reports queued, old enough, with nothing in flight and not covered by an
// idle runner is put back on the queue; never more than the owner's shortfall of runners, never
// more than the bound per run, and every job's result is counted.
#include <catch2/catch.hpp>

#include "core/common/json_reader.hpp"
#include "core/consumer/job_message.hpp"
#include "tests/core/reconcile_harness.hpp"

using namespace scaleup;
using namespace scaleup::testing;

namespace {
ScaleUpConfig acme_config() {
    ScaleUpConfig config;
    config.reconcile_owners = {"acme"};
    return config;
}

std::uint64_t jobs_with(const ReconcileHarness& h, const char* result) {
    return h.metrics.value("scaleup_reconciler_jobs_total", {{"result", result}});
}

/// An instance holding a slot, launched for `job_id`, configured for it, with its runner listed.
void launched_runner(ReconcileHarness& h, const std::string& instance, std::int64_t job_id,
                     bool busy, std::int64_t runner_id) {
    h.ledger.held.insert(instance);
    h.ledger.launched_for[instance] = job_id;
    h.ledger.configured[job_id] = instance;
    h.github.runners.push_back(RunnerInfo{runner_id, "scaleup-" + instance, true, busy});
}
}  // namespace

TEST_CASE("reconciler: an old queued job with no runner and nothing in flight is requeued",
          "[reconciler]") {
    ReconcileHarness h(acme_config());
    const Instant start = h.rt.now();
    h.github.queued_jobs = {queued_job(101, start - minutes(5))};

    const auto report = h.reconcile();
    REQUIRE(report.requeued == std::vector<std::int64_t>{101});
    REQUIRE(h.queue.sent.size() == 1);
    const JobMessage sent = JobMessage::parse(h.queue.sent[0]);
    CHECK(sent.job_id == 101);
    CHECK(sent.run_id == 1010);
    CHECK(sent.owner == "acme");
    CHECK(sent.repo == "app");
    CHECK(sent.labels == std::vector<std::string>{"self-hosted", "linux"});
    CHECK(sent.installation_id == 42);  // resolved from the owner, so the consumer need not
    CHECK(sent.attempt == 1);
    REQUIRE(h.ledger.enqueued.count(101) == 1);
    CHECK(h.ledger.enqueued.at(101) > start);
    CHECK(jobs_with(h, "requeued") == 1);
    CHECK(h.metrics.value("scaleup_reconciler_runs_total", {{"result", "ok"}}) == 1);

    // Now in flight: not sent again until the in-flight window has passed.
    h.rt.run_for(minutes(5));
    CHECK(h.reconcile().in_flight == 1);
    CHECK(h.queue.sent.size() == 1);
    h.rt.run_for(minutes(5));
    CHECK(h.reconcile().requeued == std::vector<std::int64_t>{101});
    REQUIRE(h.queue.sent.size() == 2);
    CHECK(JobMessage::parse(h.queue.sent[1]).attempt == 2);
}

TEST_CASE("reconciler: a job younger than the minimum queued age is left to its message",
          "[reconciler]") {
    ReconcileHarness h(acme_config());  // minimum age 3 min
    h.github.queued_jobs = {queued_job(101, h.rt.now() - minutes(2))};
    const auto report = h.reconcile();
    CHECK(report.requeued.empty());
    CHECK(report.too_young == 1);
    CHECK(h.queue.sent.empty());
    CHECK(jobs_with(h, "too_young") == 1);

    h.rt.run_for(minutes(1));  // 3 min old now
    CHECK(h.reconcile().requeued == std::vector<std::int64_t>{101});
}

TEST_CASE("reconciler: a job with a message in flight is not requeued", "[reconciler]") {
    ReconcileHarness h(acme_config());  // in-flight window 10 min
    const Instant now = h.rt.now();
    h.github.queued_jobs = {queued_job(101, now - minutes(20)), queued_job(102, now - minutes(20))};
    h.ledger.enqueued[101] = now - minutes(9);   // in flight
    h.ledger.enqueued[102] = now - minutes(10);  // sent long enough ago: lost
    const auto report = h.reconcile();
    CHECK(report.in_flight == 1);
    CHECK(report.requeued == std::vector<std::int64_t>{102});
    CHECK(jobs_with(h, "in_flight") == 1);
}

TEST_CASE("reconciler: requeues exactly the shortfall of runners, jobs without one first",
          "[reconciler]") {
    ReconcileHarness h(acme_config());
    const Instant now = h.rt.now();
    // Three old queued jobs; the oldest got an instance whose runner is online and idle. That
    // runner will take one of the three (any of them: jobs are not bound to runners).
    h.github.queued_jobs = {queued_job(101, now - minutes(9)), queued_job(102, now - minutes(8)),
                            queued_job(103, now - minutes(7))};
    launched_runner(h, "i-1", 101, false, 1);
    const auto report = h.reconcile();
    CHECK(report.requeued == std::vector<std::int64_t>{102, 103});
    CHECK(report.has_runner == 1);
    CHECK(h.queue.sent.size() == 2);
    CHECK(jobs_with(h, "requeued") == 2);
    CHECK(jobs_with(h, "has_runner") == 1);
}

TEST_CASE("reconciler: jobs whose runners took other jobs are requeued (upstream #5026)",
          "[reconciler]") {
    ReconcileHarness h(acme_config());
    const Instant now = h.rt.now();
    // The ledger says both jobs have a runner, but both runners are busy with jobs from another
    // batch: nothing will run 101 and 102.
    h.github.queued_jobs = {queued_job(101, now - minutes(9)), queued_job(102, now - minutes(8))};
    launched_runner(h, "i-1", 101, true, 1);
    launched_runner(h, "i-2", 102, true, 2);
    CHECK(h.reconcile().requeued == std::vector<std::int64_t>{101, 102});
}

TEST_CASE(
    "reconciler: a launched job whose runner was taken is requeued inside the in-flight "
    "window",
    "[reconciler]") {
    // 101's message came 4 minutes ago and launched i-1, whose runner took an older job. Waiting
    // for the in-flight window to pass would leave 101 unserved for ten minutes.
    ReconcileHarness h(acme_config());
    const Instant now = h.rt.now();
    h.github.queued_jobs = {queued_job(101, now - minutes(4)), queued_job(102, now - minutes(4))};
    h.ledger.enqueued[101] = now - minutes(4);
    h.ledger.enqueued[102] = now - minutes(4);  // its message has not launched anything yet
    launched_runner(h, "i-1", 101, true, 1);
    const auto report = h.reconcile();
    CHECK(report.requeued == std::vector<std::int64_t>{101});
    CHECK(report.in_flight == 1);

    // The requeue is in flight until an instance is launched for it; then its runner is supply.
    h.rt.run_for(minutes(2));
    const auto waiting = h.reconcile();
    CHECK(waiting.requeued.empty());
    CHECK(waiting.in_flight == 2);
    launched_runner(h, "i-2", 101, true, 2);  // taken by yet another job
    h.rt.run_for(minutes(2));
    CHECK(h.reconcile().requeued == std::vector<std::int64_t>{101});
    CHECK(JobMessage::parse(h.queue.sent.back()).attempt == 2);
}

TEST_CASE("reconciler: an idle runner launched for another job covers a job with none",
          "[reconciler]") {
    ReconcileHarness h(acme_config());
    h.github.queued_jobs = {queued_job(105, h.rt.now() - minutes(9))};
    // Launched for job 99, which another runner ran; this runner waits idle and will take 105.
    launched_runner(h, "i-9", 99, false, 9);
    const auto report = h.reconcile();
    CHECK(report.requeued.empty());
    CHECK(report.covered == 1);
    CHECK(jobs_with(h, "covered") == 1);
}

TEST_CASE("reconciler: an instance still being configured is supply, counted once",
          "[reconciler]") {
    ReconcileHarness h(acme_config());
    const Instant now = h.rt.now();
    // 106's message launched i-10, which has no runner listed yet (JIT config in progress).
    h.github.queued_jobs = {queued_job(105, now - minutes(9)), queued_job(106, now - minutes(8))};
    h.ledger.enqueued[106] = now - minutes(11);
    h.ledger.held.insert("i-10");
    h.ledger.launched_for["i-10"] = 106;
    const auto old = h.reconcile();
    CHECK(old.requeued == std::vector<std::int64_t>{105});
    CHECK(old.covered == 1);

    // The same while 106 is young: its message already launched i-10, so it is not counted
    // again as a launch still to come.
    ReconcileHarness y(acme_config());
    y.github.queued_jobs = {queued_job(105, now - minutes(9)), queued_job(106, now - minutes(1))};
    y.ledger.held.insert("i-10");
    y.ledger.launched_for["i-10"] = 106;
    const auto young = y.reconcile();
    CHECK(young.requeued == std::vector<std::int64_t>{105});
    CHECK(young.too_young == 1);
}

TEST_CASE("reconciler: requeues are bounded per run, the oldest first", "[reconciler]") {
    ScaleUpConfig config = acme_config();
    config.reconcile_max_requeues_per_run = 2;
    ReconcileHarness h(config);
    const Instant now = h.rt.now();
    for (std::int64_t job = 101; job <= 105; ++job)
        h.github.queued_jobs.push_back(queued_job(job, now - minutes(110 - job)));
    const auto first = h.reconcile();
    CHECK(first.requeued == std::vector<std::int64_t>{101, 102});
    CHECK(first.limit_reached == 3);
    CHECK(jobs_with(h, "limit_reached") == 3);
    const auto second = h.reconcile();
    CHECK(second.requeued == std::vector<std::int64_t>{103, 104});
    CHECK(second.in_flight == 2);
    CHECK(h.queue.sent.size() == 4);
}

TEST_CASE("reconciler: labels the pool does not serve are counted and left alone", "[reconciler]") {
    ReconcileHarness h(acme_config());
    h.github.queued_jobs = {queued_job(101, h.rt.now() - minutes(9), {"self-hosted", "gpu"})};
    const auto report = h.reconcile();
    CHECK(report.not_served == 1);
    CHECK(h.queue.sent.empty());
    CHECK(jobs_with(h, "not_served") == 1);
}

TEST_CASE("reconciler: a failed list skips the owner, a failed ledger read requeues nothing",
          "[reconciler]") {
    ReconcileHarness h(acme_config());
    h.github.queued_jobs = {queued_job(101, h.rt.now() - minutes(9))};
    for (int i = 0; i < 3; ++i)
        h.github.queued_jobs_failures.push_back(github_error(ErrorKind::transient, "502"));
    const auto listed = h.reconcile();
    CHECK(listed.owners_failed == 1);
    CHECK(h.queue.sent.empty());
    CHECK(h.metrics.value("scaleup_reconciler_runs_total", {{"result", "error"}}) == 1);

    h.ledger.held_failures.push_back(aws_error(ErrorKind::permanent, "ledger", "57P01"));
    CHECK(h.reconcile().requeued.empty());
    CHECK(h.queue.sent.empty());
    CHECK(h.metrics.value("scaleup_reconciler_runs_total", {{"result", "error"}}) == 2);

    CHECK(h.reconcile().requeued == std::vector<std::int64_t>{101});
}

TEST_CASE("reconcile, scale-down and sweeper settings load from JSON, with their defaults",
          "[reconciler]") {
    const auto defaults = ScaleUpConfig::from_json("{}");
    CHECK(defaults.sweeper_lookback == minutes(15));
    CHECK(defaults.sweeper_max_redeliveries_per_run == 50);
    CHECK(defaults.sweeper_redelivery_spacing == milliseconds(200));
    CHECK(defaults.sweeper_queued_only);
    CHECK(defaults.reconcile_owners.empty());
    CHECK(defaults.reconcile_min_queued_age == minutes(3));
    CHECK(defaults.reconcile_inflight_window == minutes(10));
    CHECK(defaults.reconcile_max_requeues_per_run == 100);
    CHECK(defaults.runner_boot_timeout == minutes(5));
    CHECK(defaults.scale_down_pressure_interval == seconds(15));
    CHECK(defaults.runner_idle_timeout_under_pressure == seconds(60));

    const auto set = ScaleUpConfig::from_json(R"({
        "sweeper_lookback_seconds": 3600, "sweeper_max_redeliveries_per_run": 5,
        "sweeper_redelivery_spacing_milliseconds": 1000, "sweeper_queued_only": false,
        "reconcile_owners": ["acme", "alice/tools"], "reconcile_min_queued_age_seconds": 60,
        "reconcile_inflight_window_seconds": 300, "reconcile_max_requeues_per_run": 7,
        "runner_boot_timeout_seconds": 900, "scale_down_pressure_interval_seconds": 5,
        "runner_idle_timeout_under_pressure_seconds": 120})");
    CHECK(set.sweeper_lookback == hours(1));
    CHECK(set.sweeper_max_redeliveries_per_run == 5);
    CHECK(set.sweeper_redelivery_spacing == seconds(1));
    CHECK_FALSE(set.sweeper_queued_only);
    CHECK(set.reconcile_owners == std::vector<std::string>{"acme", "alice/tools"});
    CHECK(set.reconcile_min_queued_age == minutes(1));
    CHECK(set.reconcile_inflight_window == minutes(5));
    CHECK(set.reconcile_max_requeues_per_run == 7);
    CHECK(set.runner_boot_timeout == minutes(15));
    CHECK(set.scale_down_pressure_interval == seconds(5));
    CHECK(set.runner_idle_timeout_under_pressure == minutes(2));

    for (const char* bad :
         {R"({"reconcile_owners": ["a/b/c"]})", R"({"reconcile_owners": [""]})",
          R"({"reconcile_owners": ["/repo"]})", R"({"reconcile_owners": ["org/"]})"}) {
        CHECK_THROWS_AS(ScaleUpConfig::from_json(bad), InputError);
    }
    CHECK_THROWS_AS(ScaleUpConfig::from_json(R"({"sweeper_lookback_seconds": 300000})"),
                    InputError);
    CHECK_THROWS_AS(ScaleUpConfig::from_json(R"({"scale_down_pressure_interval_seconds": 0})"),
                    InputError);
}
