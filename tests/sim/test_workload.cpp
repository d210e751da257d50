// The workload plan: deterministic, at the requested rate, with bursts and cancellations.
#include <catch2/catch.hpp>

#include "sim/world/workload.hpp"

using namespace scaleup;
using namespace scaleup::sim;

TEST_CASE("the same seed plans the same workload", "[workload]") {
    WorkloadOptions options;
    options.jobs_per_hour = 600;
    const auto a = plan_workload(options, Random(9));
    const auto b = plan_workload(options, Random(9));
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].arrives_at == b[i].arrives_at);
        CHECK(a[i].duration == b[i].duration);
    }
}

TEST_CASE("arrivals come at the requested rate and stay in order", "[workload]") {
    WorkloadOptions options;
    options.jobs_per_hour = 3600;
    options.arrivals_until = hours(10);
    const auto jobs = plan_workload(options, Random(1));
    // 36,000 expected; Poisson standard deviation 190.
    CHECK(jobs.size() > 35'000);
    CHECK(jobs.size() < 37'000);
    for (std::size_t i = 1; i < jobs.size(); ++i)
        REQUIRE(jobs[i - 1].arrives_at <= jobs[i].arrives_at);
    CHECK(jobs.back().arrives_at < hours(10));
}

TEST_CASE("bursts arrive at one instant and owners follow their weights", "[workload]") {
    WorkloadOptions options;
    options.jobs_per_hour = 0;
    options.owners = {WorkloadOwner{"heavy", {"a", "b"}, 1, 3, "Organization"},
                      WorkloadOwner{"light", {"c"}, 2, 1, "Organization"}};
    options.bursts = {WorkloadBurst{minutes(5), 4000}};
    options.cancel_while_queued = Ratio::percent(10);
    const auto jobs = plan_workload(options, Random(2));
    REQUIRE(jobs.size() == 4000);
    int heavy = 0, cancelled = 0;
    for (const auto& job : jobs) {
        CHECK(job.arrives_at == minutes(5));
        heavy += job.owner == 0 ? 1 : 0;
        cancelled += job.cancel_after ? 1 : 0;
        if (job.owner == 1)
            CHECK(job.repo == "c");
    }
    CHECK(heavy > 2850);  // expectation 3000
    CHECK(heavy < 3150);
    CHECK(cancelled > 320);  // expectation 400
    CHECK(cancelled < 480);
}
