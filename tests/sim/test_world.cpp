// The assembled world: the production core against every simulated service, end to end.
#include <catch2/catch.hpp>

#include "sim/runtime/determinism_check.hpp"
#include "sim/world/presets.hpp"
#include "sim/world/world.hpp"

using namespace scaleup;
using namespace scaleup::sim;

namespace {
WorldOptions small_world(std::uint64_t seed) {
    WorldOptions options;
    options.seed = seed;
    options.run_for = hours(1);
    options.drain = minutes(30);
    options.config.max_runners = 20;
    options.workload.jobs_per_hour = 60;
    options.workload.owners = {WorkloadOwner{"acme", {"app", "web"}, 1, 1, "Organization"},
                               WorkloadOwner{"globex", {"api"}, 2, 1, "Organization"}};
    options.consumers.consumers = 2;
    return options;
}

struct JobCounts {
    int queued = 0, completed = 0, still_queued = 0, in_progress = 0;
};

JobCounts count_jobs(const World& world) {
    JobCounts c;
    for (const auto& job : world.github().jobs()) {
        ++c.queued;
        if (job.status == JobStatus::completed)
            ++c.completed;
        if (job.status == JobStatus::queued)
            ++c.still_queued;
        if (job.status == JobStatus::in_progress)
            ++c.in_progress;
    }
    return c;
}
}  // namespace

TEST_CASE("a fault-free hour: every queued job gets a runner and completes", "[world]") {
    TraceRecorder trace;
    World world(small_world(3), &trace);
    world.run();
    const auto c = count_jobs(world);
    INFO("queued " << c.queued << " completed " << c.completed << " still queued " << c.still_queued
                   << " in progress " << c.in_progress << " events "
                   << world.runtime().events_processed());
    CHECK(c.queued == static_cast<int>(world.planned_jobs().size()));
    CHECK(c.queued > 30);
    CHECK(c.still_queued == 0);
    CHECK(c.completed + c.in_progress == c.queued);
    CHECK(world.ec2().max_live_instances() <= 20);
    CHECK(world.metrics().value("scaleup_consumer_messages_total",
                                {{"outcome", "runner_launched"}}) >= 1);
}

TEST_CASE("the same seed runs the same world: identical trace hashes", "[world]") {
    const auto report = check_determinism([](TraceRecorder& trace) {
        World world(small_world(5), &trace);
        world.run();
    });
    INFO(report.describe());
    CHECK(report.deterministic);
    CHECK(report.first_events > 1000);
}

// Hidden from the default run ([.]): about 10 s in a release build (the day runs twice). CTest
// runs it in the release tree only, labelled slow (tests/CMakeLists.txt); the sanitizer and clang
// trees skip the label.
TEST_CASE("a 24-hour day of 50,000 jobs with light faults runs end to end, deterministically",
          "[.][day]") {
    const auto report = check_determinism([](TraceRecorder& trace) {
        World world(steady_day(50'000), &trace);
        world.run();
    });
    INFO(report.describe());
    CHECK(report.deterministic);
    CHECK(report.first_events > 1'000'000);
}
