// ScaleDown: orphans go after the boot timeout and not before, finished ephemeral runners'
// instances go, busy runners stay, every termination gives its slot back, slots of instances EC2 no
// longer reports are released, and offline runners whose instance is gone are deleted from GitHub.
#include <catch2/catch.hpp>

#include "tests/core/reconcile_harness.hpp"

using namespace scaleup;
using namespace scaleup::testing;

namespace {
/// An instance of this pool for "acme", launched now and holding a slot, as BatchHandler leaves it.
void launch(ReconcileHarness& h, const std::string& id) {
    h.fleet.add_instance(id,
                         {{"scaleup:owner", "acme"},
                          {"scaleup:labels", "linux,self-hosted,x64"},
                          {"scaleup:reservation", "res-1"}},
                         h.rt.now());
    h.ledger.held.insert(id);
}

RunnerInfo& runner_of(ReconcileHarness& h, const std::string& instance, std::int64_t id) {
    h.github.runners.push_back(RunnerInfo{id, "scaleup-" + instance, false, false});
    return h.github.runners.back();
}

/// i-1 and i-2, each with its runner online and waiting for a job, launched 30 s ago.
void launch_two_online(ReconcileHarness& h) {
    launch(h, "i-1");
    launch(h, "i-2");
    runner_of(h, "i-1", 1).online = true;
    runner_of(h, "i-2", 2).online = true;
    h.rt.run_for(seconds(30));
}

std::uint64_t actions(const ReconcileHarness& h, const char* action) {
    return h.metrics.value("scaleup_scale_down_total", {{"action", action}});
}
}  // namespace

TEST_CASE(
    "scale-down: an instance whose runner never came up is terminated after the boot "
    "timeout, not before",
    "[scale-down]") {
    ReconcileHarness h;  // boot timeout 5 min
    launch(h, "i-1");    // never got a config: no runner at all
    launch(h, "i-2");    // its JIT runner is listed (offline) but never came online
    runner_of(h, "i-2", 2);

    h.rt.run_for(minutes(4));
    const auto early = h.scale_down_once();
    CHECK(early.terminated_orphan.empty());
    CHECK(h.fleet.terminated.empty());
    CHECK(h.ledger.released.empty());

    h.rt.run_for(minutes(1));
    const auto late = h.scale_down_once();
    CHECK(late.terminated_orphan == std::vector<Identifier>{"i-1", "i-2"});
    CHECK(h.fleet.terminated == std::set<std::string>{"i-1", "i-2"});
    CHECK(h.ledger.released == std::vector<std::string>{"i-1", "i-2"});
    CHECK(h.ledger.held.empty());
    CHECK(actions(h, "terminated_orphan") == 2);
}

TEST_CASE("scale-down: an ephemeral runner's instance is terminated after its job",
          "[scale-down]") {
    ReconcileHarness h;
    launch_two_online(h);
    CHECK(h.scale_down_once().terminated_finished.empty());  // both online, waiting for a job

    // i-1's runner ran its job and GitHub removed it; i-2's went offline after its job. Both
    // well within the boot timeout: what ends them is that their runner is done.
    h.github.runners.erase(h.github.runners.begin());
    h.github.runners[0].online = false;
    h.rt.run_for(seconds(30));
    const auto report = h.scale_down_once();
    CHECK(report.terminated_finished == std::vector<Identifier>{"i-1", "i-2"});
    CHECK(h.fleet.terminated == std::set<std::string>{"i-1", "i-2"});
    CHECK(h.ledger.released == std::vector<std::string>{"i-1", "i-2"});
    CHECK(actions(h, "terminated_finished") == 2);
}

TEST_CASE("scale-down: a busy runner's instance is never terminated", "[scale-down]") {
    ReconcileHarness h;
    launch(h, "i-1");
    launch(h, "i-2");
    runner_of(h, "i-1", 1) = RunnerInfo{1, "scaleup-i-1", true, true};
    runner_of(h, "i-2", 2) = RunnerInfo{2, "scaleup-i-2", false, true};  // offline but busy
    h.rt.run_for(hours(3));  // far past the boot timeout
    const auto report = h.scale_down_once();
    CHECK(report.kept_busy == std::vector<Identifier>{"i-1", "i-2"});
    CHECK(report.terminated_orphan.empty());
    CHECK(report.terminated_finished.empty());
    CHECK(h.fleet.terminated.empty());
    CHECK(h.ledger.held.size() == 2);
    CHECK(actions(h, "kept_busy") == 2);
}

TEST_CASE("scale-down: a failed termination keeps the slot, the next sweep terminates",
          "[scale-down]") {
    ReconcileHarness h;
    launch(h, "i-1");
    h.rt.run_for(minutes(6));
    for (int i = 0; i < 5; ++i)  // every try of the AWS budget
        h.fleet.terminate_failures.push_back(aws_error(ErrorKind::transient, "ec2", "Unavailable"));
    const auto failed = h.scale_down_once();
    CHECK(failed.terminated_orphan.empty());
    CHECK(failed.errors == 1);
    CHECK(h.ledger.held.count("i-1") == 1);  // never released while the instance may run
    CHECK(h.metrics.value("scaleup_scale_down_errors_total", {{"call", "terminate_instances"}}) ==
          1);
    const auto retried = h.scale_down_once();
    CHECK(retried.terminated_orphan == std::vector<Identifier>{"i-1"});
    CHECK(h.ledger.released == std::vector<std::string>{"i-1"});
}

TEST_CASE("scale-down: a slot held by an instance EC2 no longer reports is released",
          "[scale-down]") {
    ReconcileHarness h;
    launch(h, "i-1");
    h.ledger.held.insert("i-gone");  // a spot interruption, or it terminated itself
    launch(h, "i-3");
    h.fleet.terminated.insert("i-3");  // terminated elsewhere
    // Seen missing once: DescribeInstances lags launches, so not yet.
    const auto first = h.scale_down_once();
    CHECK(first.released_missing.empty());
    CHECK(h.ledger.held.size() == 3);
    const auto second = h.scale_down_once();
    CHECK(second.released_missing == std::vector<Identifier>{"i-3", "i-gone"});
    CHECK(h.ledger.held == std::set<std::string>{"i-1"});
    CHECK(actions(h, "released_missing") == 2);
}

TEST_CASE("scale-down: an offline runner of ours whose instance is gone is deleted",
          "[scale-down]") {
    ReconcileHarness h;
    h.config.reconcile_owners = {"acme"};  // the owner is known without any instance
    launch(h, "i-live");
    runner_of(h, "i-live", 1).online = true;
    runner_of(h, "i-dead", 2);                                                 // a ghost
    h.github.runners.push_back(RunnerInfo{3, "scaleup-i-busy", false, true});  // busy: not yet
    h.github.runners.push_back(RunnerInfo{4, "someone-elses", false, false});  // not ours
    CHECK(h.scale_down_once().deleted_ghost_runners.empty());                  // seen once
    const auto second = h.scale_down_once();
    CHECK(second.deleted_ghost_runners == std::vector<std::int64_t>{2});
    CHECK(h.github.deleted_runners == std::vector<std::int64_t>{2});
    CHECK(actions(h, "deleted_ghost_runner") == 1);
    CHECK(h.scale_down_once().deleted_ghost_runners.empty());
}

TEST_CASE("scale-down: nothing is judged on what could not be read", "[scale-down]") {
    ReconcileHarness h;
    launch(h, "i-1");
    h.ledger.held.insert("i-gone");
    h.rt.run_for(minutes(10));
    // Retried for half the sweep: more failures than that half holds.
    for (int i = 0; i < 100; ++i)
        h.fleet.describe_failures.push_back(aws_error(ErrorKind::transient, "ec2", "Unavailable"));
    const auto blind = h.scale_down_once();
    CHECK(blind.describe_failed);
    CHECK(h.fleet.terminated.empty());
    CHECK(h.ledger.released.empty());

    h.fleet.describe_failures.clear();
    for (int i = 0; i < 3; ++i)
        h.github.runners_failures.push_back(github_error(ErrorKind::transient, "502"));
    const auto no_runners = h.scale_down_once();
    CHECK(no_runners.terminated_orphan.empty());  // the owner's runners are unknown
    CHECK(h.metrics.value("scaleup_scale_down_errors_total", {{"call", "list_runners"}}) == 1);
    CHECK(h.scale_down_once().terminated_orphan == std::vector<Identifier>{"i-1"});
}

TEST_CASE(
    "scale-down: an idle online runner is deregistered, then terminated, after the idle timeout",
    "[scale-down]") {
    ReconcileHarness h;  // idle timeout 10 min
    launch(h, "i-1");
    runner_of(h, "i-1", 501).online = true;  // its job went to another runner, or was cancelled
    (void)h.scale_down_once();               // first seen idle now
    h.rt.run_for(minutes(9));
    (void)h.scale_down_once();
    CHECK(h.fleet.terminated.empty());
    h.rt.run_for(minutes(1));
    const auto report = h.scale_down_once();
    CHECK(report.terminated_idle == std::vector<Identifier>{"i-1"});
    CHECK(h.github.deleted_runners == std::vector<std::int64_t>{501});
    CHECK(h.fleet.terminated == std::set<std::string>{"i-1"});
    CHECK(h.ledger.released == std::vector<std::string>{"i-1"});
    CHECK(actions(h, "terminated_idle") == 1);
}

TEST_CASE(
    "scale-down: an idle runner GitHub refuses to delete (a job was just assigned) keeps its "
    "instance",
    "[scale-down]") {
    ReconcileHarness h;
    launch(h, "i-1");
    runner_of(h, "i-1", 502).online = true;
    (void)h.scale_down_once();
    h.rt.run_for(minutes(10));
    h.github.delete_runner_failures = {make_error(ErrorKind::invalid, "github", "422",
                                                  "Bad request - Runner is still running a job")};
    const auto report = h.scale_down_once();
    CHECK(report.terminated_idle.empty());
    CHECK(h.fleet.terminated.empty());
    CHECK(h.ledger.held.count("i-1") == 1);
}

TEST_CASE("scale-down: a runner that turns busy is no longer idle", "[scale-down]") {
    ReconcileHarness h;
    launch(h, "i-1");
    auto& runner = runner_of(h, "i-1", 503);
    runner.online = true;
    (void)h.scale_down_once();
    h.rt.run_for(minutes(8));
    h.github.runners.back().busy = true;
    (void)h.scale_down_once();
    h.github.runners.back().busy = false;  // its job ended; an ephemeral runner goes offline next
    h.rt.run_for(minutes(3));
    const auto report = h.scale_down_once();
    CHECK(report.terminated_idle.empty());  // the idle clock restarted when it was busy
}

TEST_CASE(
    "scale-down: an instance no ledger record holds is an orphan once no consumer can commit it",
    "[scale-down]") {
    // Its launch's commit failed (or its consumer died): only the reservation's 5-minute lease
    // counts it, so waiting for the boot timeout would let the maximum be exceeded.
    ReconcileHarness h;  // handler 30 s, call 10 s, clocks a minute apart: 100 s
    h.fleet.add_instance("i-1",
                         {{"scaleup:owner", "acme"},
                          {"scaleup:labels", "linux,self-hosted,x64"},
                          {"scaleup:reservation", "res-lost"}},
                         h.rt.now());
    launch(h, "i-2");  // recorded and still booting: kept until its boot timeout
    h.rt.run_for(seconds(90));
    CHECK(h.scale_down_once().terminated_orphan.empty());
    h.rt.run_for(seconds(20));
    const auto report = h.scale_down_once();
    CHECK(report.terminated_orphan == std::vector<Identifier>{"i-1"});
    CHECK(h.fleet.terminated == std::set<std::string>{"i-1"});
}

TEST_CASE(
    "scale-down: when the ledger cannot be read, an unrecorded instance waits for the boot "
    "timeout",
    "[scale-down]") {
    ReconcileHarness h;
    h.fleet.add_instance("i-1",
                         {{"scaleup:owner", "acme"}, {"scaleup:labels", "linux,self-hosted,x64"}},
                         h.rt.now());
    h.rt.run_for(minutes(2));
    for (int i = 0; i < h.config.aws_retry.attempts; ++i)
        h.ledger.held_failures.push_back(aws_error(ErrorKind::transient, "ledger", "57P01"));
    const auto report = h.scale_down_once();
    CHECK(report.errors > 0);
    CHECK(report.terminated_orphan.empty());
    CHECK(h.fleet.terminated.empty());
}

TEST_CASE("scale-down: a slow ledger holds back no termination", "[scale-down]") {
    // Each release takes 9 s (a stalled pool): releasing before terminating the next would end
    // the one-minute sweep with orphans still running.
    ReconcileHarness h;
    std::set<std::string> all;
    for (int i = 1; i <= 8; ++i) {
        const std::string id = "i-" + std::to_string(i);
        launch(h, id);
        all.insert(id);
    }
    h.rt.run_for(minutes(6));
    h.ledger.latency = seconds(9);
    const auto report = h.scale_down_once(minutes(1));
    CHECK(report.terminated_orphan.size() == 8);
    CHECK(h.fleet.terminated == all);
    CHECK(h.ledger.released.size() < 8);  // the rest are released_missing in later sweeps
    h.ledger.latency = milliseconds(5);
    const std::size_t released_in_sweep = h.ledger.released.size();
    // EC2 listed them in that sweep, so their absence now is their termination: released at once.
    CHECK(h.scale_down_once().released_missing.size() == 8 - released_in_sweep);
    CHECK(h.ledger.held.empty());
}

TEST_CASE("scale-down: a slot whose instance EC2 listed last sweep is released at its first miss",
          "[scale-down]") {
    ReconcileHarness h;
    launch_two_online(h);
    CHECK(h.scale_down_once().released_missing.empty());  // both listed: nothing to release
    // i-1's runner ran its job and the instance terminated itself; i-2 still runs.
    h.fleet.terminated.insert("i-1");
    h.github.runners.erase(h.github.runners.begin());
    h.ledger.held.insert("i-new");  // committed, but not listed by EC2 yet
    const auto report = h.scale_down_once();
    CHECK(report.released_missing == std::vector<Identifier>{"i-1"});
    CHECK(h.ledger.held == std::set<std::string>{"i-2", "i-new"});  // a fresh launch waits
    CHECK(h.scale_down_once().released_missing == std::vector<Identifier>{"i-new"});
}

TEST_CASE("scale-down: a ledger that does not answer holds back no termination", "[scale-down]") {
    // Every ledger call outlives its 10 s timeout (a stall). The held-slots read gets a quarter
    // of the sweep; with eight tries retried through the whole minute, it would leave no time to
    // terminate.
    ScaleUpConfig config;
    config.aws_retry.attempts = 8;
    ReconcileHarness h(config);
    launch(h, "i-1");
    launch(h, "i-2");
    h.rt.run_for(minutes(6));
    h.ledger.latency = seconds(30);
    const auto report = h.scale_down_once(minutes(1));
    CHECK(report.terminated_orphan == std::vector<Identifier>{"i-1", "i-2"});
    CHECK(h.fleet.terminated == std::set<std::string>{"i-1", "i-2"});
    CHECK(report.errors > 0);  // the held read, and the releases, failed
}

TEST_CASE("scale-down: a describe that fails past the retry budget is retried within the sweep",
          "[scale-down]") {
    // EC2 answering DescribeInstances with 503 one call in two (the upstream incident) lost
    // whole sweeps when the describe gave up after the configured three tries; orphans then
    // outlived their bound. It is retried for half the sweep instead.
    ReconcileHarness h;  // aws_retry: 3 attempts
    launch(h, "i-1");
    h.rt.run_for(minutes(6));
    for (int i = 0; i < 6; ++i)
        h.fleet.describe_failures.push_back(aws_error(ErrorKind::transient, "ec2", "Unavailable"));
    const auto report = h.scale_down_once();
    CHECK_FALSE(report.describe_failed);
    CHECK(report.terminated_orphan == std::vector<Identifier>{"i-1"});
    CHECK(h.fleet.describe_failures.empty());
}

namespace {
/// i-1 and i-2 online and swept at 0 s; i-1 terminates itself at 5 s; a consumer defers a message
/// at 10 s when `deferring`. Returns the slots released by 20 s.
std::vector<std::string> released_by_20s(ReconcileHarness& h, bool deferring) {
    CapacityPressure pressure;
    h.scale_down.hurry_on(pressure);
    CancellationSource stop;
    const Instant begin = h.rt.now();
    launch(h, "i-1");
    launch(h, "i-2");
    runner_of(h, "i-1", 1).online = true;
    runner_of(h, "i-2", 2).online = true;
    h.rt.spawn(h.scale_down.run(stop.token(), minutes(1)));
    h.rt.run_until(begin + seconds(5));
    h.fleet.terminated.insert("i-1");  // its runner ran its one job; GitHub removed it
    h.github.runners.erase(h.github.runners.begin());
    h.rt.run_until(begin + seconds(10));
    if (deferring)
        pressure.note_deferral(h.rt.now());
    h.rt.run_until(begin + seconds(20));
    auto released = h.ledger.released;
    const auto sweeps = [&] { return h.metrics.total("scaleup_scale_down_runs_total"); };
    CHECK(sweeps() == (deferring ? 2 : 1));  // at 0 s, and hurried to 15 s
    // No deferral since the hurried sweep: back to the interval, the next sweep 60 s after it (at
    // 75 s); the calm loop swept at 60 s.
    h.rt.run_until(begin + seconds(70));
    CHECK(sweeps() == 2);
    stop.cancel(h.rt);
    h.rt.run();
    return released;
}
}  // namespace

TEST_CASE("scale-down: a deferral brings the next sweep forward to the pressure interval",
          "[scale-down]") {
    ReconcileHarness hurried;  // pressure interval 15 s
    CHECK(released_by_20s(hurried, true) == std::vector<std::string>{"i-1"});
    CHECK(hurried.rt.probes().count(Probe::scale_down_hurried) == 1);

    ReconcileHarness calm;  // no deferral: the slot waits for the sweep at 60 s
    CHECK(released_by_20s(calm, false).empty());
    CHECK(calm.rt.probes().count(Probe::scale_down_hurried) == 0);
}

TEST_CASE("scale-down: while messages wait for capacity, an idle runner goes after a minute",
          "[scale-down]") {
    for (const bool pressed : {true, false}) {
        ReconcileHarness h;  // idle timeout 10 min; under pressure 60 s
        CapacityPressure pressure;
        h.scale_down.hurry_on(pressure);
        launch(h, "i-1");
        runner_of(h, "i-1", 501).online = true;  // its job went to another runner
        (void)h.scale_down_once();               // first seen idle now
        h.rt.run_for(seconds(59));
        if (pressed)
            pressure.note_deferral(h.rt.now());  // a consumer found no slot (or no instance)
        CHECK(h.scale_down_once().terminated_idle.empty());  // 59 s idle: not yet
        h.rt.run_for(seconds(1));
        CHECK(h.scale_down_once().terminated_idle ==
              (pressed ? std::vector<Identifier>{"i-1"} : std::vector<Identifier>{}));
    }
    // Pressure that ended a minute ago no longer shortens anything.
    ReconcileHarness h;
    CapacityPressure pressure;
    h.scale_down.hurry_on(pressure);
    launch(h, "i-1");
    runner_of(h, "i-1", 501).online = true;
    pressure.note_deferral(h.rt.now());
    (void)h.scale_down_once();
    h.rt.run_for(seconds(61));
    CHECK(h.scale_down_once().terminated_idle.empty());
}
