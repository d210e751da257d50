// A run without a trace does what the traced run does. Exploration judges most seeds untraced
// (RunSettings::trace) and trusts their verdict; a component that drew a random number, scheduled
// an event or changed state only while tracing would make that verdict a different run's.
#include <catch2/catch.hpp>

#include <sstream>

#include "sim/explore/fault_mix.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/scenario_runner.hpp"

using namespace scaleup;
using namespace scaleup::sim;
using nlohmann::json;

namespace {
// Forty minutes of 150 jobs an hour from two owners, under whichever faults a seed's swarm mix
// switches on: every fault family is on for about half the seeds.
Scenario small_base() {
    return load_scenario(json::parse(R"({
      "name": "untraced-test",
      "description": "A small world for comparing traced and untraced runs.",
      "seed": 1,
      "duration_seconds": 2400,
      "drain_seconds": 1800,
      "config": {"max_runners": 20},
      "workload": {
        "owners": [{"name": "acme", "repos": ["app"]}, {"name": "globex", "repos": ["api"]}],
        "jobs_per_hour": 150,
        "job_duration_seconds": {"min": 60, "max": 300}
      },
      "world": {"consumers": 2}
    })"),
                         "untraced-test.json");
}

void check_same_run(const RunReport& traced, const RunReport& untraced) {
    CHECK(traced.trace_hash != 0);
    CHECK(untraced.trace_hash == 0);
    CHECK(untraced.events == traced.events);
    CHECK(untraced.probe_hits == traced.probe_hits);
    CHECK(untraced.jobs_queued == traced.jobs_queued);
    CHECK(untraced.jobs_ran == traced.jobs_ran);
    CHECK(untraced.jobs_cancelled == traced.jobs_cancelled);
    CHECK(untraced.jobs_lost == traced.jobs_lost);
    CHECK(untraced.jobs_dead_lettered == traced.jobs_dead_lettered);
    CHECK(untraced.instances_launched == traced.instances_launched);
    CHECK(untraced.instances_orphaned == traced.instances_orphaned);
    CHECK(untraced.max_runners_seen == traced.max_runners_seen);
    CHECK(untraced.sim_time == traced.sim_time);
    CHECK(untraced.options == traced.options);
    REQUIRE(untraced.checkers.size() == traced.checkers.size());
    for (std::size_t i = 0; i < traced.checkers.size(); ++i) {
        INFO("checker " << traced.checkers[i].checker);
        CHECK(untraced.checkers[i].passed == traced.checkers[i].passed);
        CHECK(untraced.checkers[i].summary == traced.checkers[i].summary);
        CHECK(untraced.checkers[i].findings == traced.checkers[i].findings);
    }
}
}  // namespace

TEST_CASE("a run without its trace runs the same events to the same verdicts", "[untraced]") {
    const Scenario base = small_base();
    for (std::uint64_t seed = 1; seed <= 16; ++seed) {
        const auto mix = generate_fault_mix(base, seed);
        INFO("seed " << seed << ": " << mix.summary());
        const json document = seed_document(base, mix);
        const Scenario scenario = load_scenario(document, "seed.json");
        const RunReport traced = run_scenario(scenario, RunSettings{});
        RunSettings untraced_settings;
        untraced_settings.trace = false;
        check_same_run(traced, run_scenario(scenario, untraced_settings));
    }
}

TEST_CASE("a trace sink without the trace is refused", "[untraced]") {
    std::ostringstream sink;
    RunSettings settings;
    settings.trace = false;
    settings.trace_sink = &sink;
    CHECK_THROWS_WITH(run_scenario(small_base(), settings), Catch::Contains("trace sink"));
}
