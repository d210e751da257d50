// Exploration: the swarm fault mix, the seed plan and its shards, running and judging seeds, the
// determinism spot-check, and the result documents `scaleup merge` adds up.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "sim/explore/explorer.hpp"
#include "sim/explore/fault_mix.hpp"
#include "sim/scenario/fault_catalog.hpp"
#include "sim/scenario/scenario_runner.hpp"

using namespace scaleup;
using namespace scaleup::sim;
using nlohmann::json;

namespace {
// Half an hour of 120 jobs an hour from two owners: fast enough for many seeds.
json small_base_document() {
    return json::parse(R"({
      "name": "explore-test",
      "description": "A small world for the explore tests.",
      "seed": 1,
      "duration_seconds": 1800,
      "drain_seconds": 1800,
      "config": {"max_runners": 20},
      "workload": {
        "owners": [{"name": "acme", "repos": ["app"]}, {"name": "globex", "repos": ["api"]}],
        "jobs_per_hour": 120,
        "job_duration_seconds": {"min": 60, "max": 300}
      },
      "world": {"consumers": 2}
    })");
}

Scenario small_base() {
    return load_scenario(small_base_document(), "explore-test.json");
}

// An expectation no control plane meets: ten jobs arrive a second before the heal, and the
// liveness bound is one second (a runner takes longer than that to boot).
Scenario impossible_base() {
    auto doc = small_base_document();
    doc["name"] = "explore-impossible";
    doc["workload"]["bursts"] = json::array({{{"at_seconds", 1799}, {"jobs", 10}}});
    doc["expect"] = {{"liveness_bound_seconds", 1}};
    return load_scenario(doc, "explore-impossible.json");
}

ExploreResult explore_serially(const Scenario& base, const SeedPlan& plan,
                               const ExploreSettings& settings) {
    auto result = start_result(base, plan, settings);
    for (const auto index : plan.indices())
        record_seed(result, run_seed(base, plan, index, settings), "");
    return result;
}

bool is_windowed(const json& entry) {
    return entry.contains("start_seconds");
}
}  // namespace

TEST_CASE("the fault mix is a pure function of the seed, and its document loads", "[explore]") {
    const auto base = small_base();
    std::set<std::string> distinct;
    for (std::uint64_t seed = 1; seed <= 30; ++seed) {
        const auto mix = generate_fault_mix(base, seed);
        const auto again = generate_fault_mix(base, seed);
        CHECK(mix.faults == again.faults);
        CHECK(mix.families == again.families);
        CHECK(mix.summary() == again.summary());
        const auto doc = seed_document(base, mix);
        CHECK(doc == seed_document(base, again));
        CHECK(doc["name"] == fmt::format("explore-test-seed-{}", seed));
        CHECK(doc["seed"] == seed);
        CHECK(doc["faults"].size() == mix.faults.size());
        CHECK(doc["description"].get<std::string>().find("`scaleup explore`") != std::string::npos);
        CHECK(doc["description"].get<std::string>().find("explore-test with seed") !=
              std::string::npos);
        const auto loaded = load_scenario(doc, "seed.json");
        CHECK(loaded.seed == seed);
        CHECK(loaded.world.seed == seed);
        distinct.insert(mix.summary());
    }
    CHECK(distinct.size() >= 25);  // seeds really differ
    const auto summary = generate_fault_mix(base, 7).summary();
    CHECK(summary.starts_with("families="));
    CHECK(summary.find(" faults=") != std::string::npos);
}

TEST_CASE("the families name every fault kind of the catalogue exactly once", "[explore]") {
    std::vector<std::string> kinds;
    for (const auto& family : fault_families())
        kinds.insert(kinds.end(), family.kinds.begin(), family.kinds.end());
    std::sort(kinds.begin(), kinds.end());
    CHECK(kinds == known_fault_kinds());
    CHECK(kinds.size() == 32);
}

TEST_CASE("swarm testing switches every family both on and off over 100 seeds", "[explore]") {
    const auto base = small_base();
    std::map<std::string, int> on;
    std::set<std::string> kinds_seen;
    for (std::uint64_t seed = 0; seed < 100; ++seed) {
        const auto mix = generate_fault_mix(base, seed);
        for (const auto& family : mix.families)
            ++on[family];
        for (const auto& entry : mix.faults)
            kinds_seen.insert(entry["kind"].get<std::string>());
    }
    for (const auto& family : fault_families()) {
        INFO(family.name << " on in " << on[family.name] << " of 100 seeds");
        CHECK(on[family.name] > 0);
        CHECK(on[family.name] < 100);
    }
    CHECK(kinds_seen.size() == known_fault_kinds().size());  // every kind comes up
}

TEST_CASE("the queued check is switched on for some seeds, into the seed's config", "[explore]") {
    const auto base = small_base();
    int on = 0;
    for (std::uint64_t seed = 0; seed < 100; ++seed) {
        const auto mix = generate_fault_mix(base, seed);
        const auto doc = seed_document(base, mix);
        const bool checked = mix.config.value("job_queued_check", false);
        on += checked ? 1 : 0;
        CHECK(doc["config"]["max_runners"] == 20);  // the base's own config stays
        CHECK(load_scenario(doc, "seed.json").world.config.job_queued_check == checked);
        CHECK((mix.summary().find(" config=job_queued_check=true ") != std::string::npos) ==
              checked);
    }
    CHECK(on > 20);
    CHECK(on < 80);
}

TEST_CASE("a base that sets the queued check keeps its own setting in every seed", "[explore]") {
    auto doc = small_base_document();
    doc["config"]["job_queued_check"] = false;
    const auto base = load_scenario(doc, "explore-test.json");
    for (std::uint64_t seed = 0; seed < 50; ++seed) {
        const auto mix = generate_fault_mix(base, seed);
        CHECK(mix.config.empty());
        CHECK(seed_document(base, mix)["config"]["job_queued_check"] == false);
        // The faults drawn do not depend on whether the base decides the switch.
        CHECK(mix.faults == generate_fault_mix(small_base(), seed).faults);
    }
}

TEST_CASE("a family's outage windows, merged, fit the longest window one may have", "[explore]") {
    const auto base = small_base();
    const auto longest =
        std::chrono::duration_cast<std::chrono::seconds>(base.settings.liveness_bound).count() * 2 /
        3;
    int families_with_two_windows = 0;
    for (std::uint64_t seed = 0; seed < 300; ++seed) {
        const auto mix = generate_fault_mix(base, seed);
        std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> by_family;
        for (const auto& entry : mix.faults) {
            if (is_windowed(entry) && !entry.contains("percent")) {
                const auto start = entry["start_seconds"].get<std::int64_t>();
                by_family[entry["note"].get<std::string>()].emplace_back(
                    start, start + entry["duration_seconds"].get<std::int64_t>());
            }
        }
        for (auto& [family, windows] : by_family) {
            families_with_two_windows += windows.size() > 1 ? 1 : 0;
            std::sort(windows.begin(), windows.end());
            std::int64_t covered = 0;
            std::int64_t reached = 0;
            for (const auto& [start, end] : windows) {
                covered += std::max<std::int64_t>(0, end - std::max(start, reached));
                reached = std::max(reached, end);
            }
            INFO("seed " << seed << ", " << family);
            CHECK(covered <= longest);
        }
    }
    CHECK(families_with_two_windows > 30);  // the rule is exercised, not vacuous
}

TEST_CASE("a suspended installation never meets a lost webhook in one mix", "[explore]") {
    const auto base = small_base();
    int suspended = 0;
    for (std::uint64_t seed = 0; seed < 200; ++seed) {
        const auto mix = generate_fault_mix(base, seed);
        const auto has = [&](const std::string& family) {
            return std::find(mix.families.begin(), mix.families.end(), family) !=
                   mix.families.end();
        };
        suspended += has("installations") ? 1 : 0;
        CHECK_FALSE((has("installations") && has("intake")));
    }
    CHECK(suspended > 50);
}

TEST_CASE("generated faults stay inside the fault phase and the base's bounds", "[explore]") {
    const auto base = small_base();  // 1800 s phase, liveness bound 900 s: windows <= 600 s
    for (std::uint64_t seed = 0; seed < 300; ++seed) {
        for (const auto& entry : generate_fault_mix(base, seed).faults) {
            INFO("seed " << seed << ": " << entry.dump());
            if (is_windowed(entry)) {
                const auto start = entry["start_seconds"].get<std::int64_t>();
                const auto length = entry["duration_seconds"].get<std::int64_t>();
                CHECK(start >= 0);
                CHECK(length >= 1);
                CHECK(length <= 600);
                CHECK(start + length <= 1800);
            }
            if (entry.contains("at_seconds"))
                CHECK(entry["at_seconds"].get<std::int64_t>() < 1800);
            if (entry.contains("percent"))
                CHECK(entry["percent"].get<std::int64_t>() <= 100);
            if (entry.contains("owner"))
                CHECK((entry["owner"] == "acme" || entry["owner"] == "globex"));
            if (entry["kind"] == "ec2_capacity")
                CHECK(entry["instances"].get<std::int64_t>() >= 15);  // 3/4 of max_runners
            if (entry["kind"] == "github_outage" || entry["kind"] == "ec2_unavailable")
                // The orphan grace (120 s) less 1.25 scale-down intervals (60 s): fault_mix.cpp.
                CHECK(entry["duration_seconds"].get<std::int64_t>() <= 45);
            if (entry["kind"] == "installation_suspended")
                CHECK(entry["at_seconds"] == 0);
        }
    }
}

TEST_CASE("shards 0..M-1 together cover every seed index exactly once", "[explore]") {
    for (const std::uint64_t seeds : {0, 1, 7, 100, 101, 1000}) {
        for (const std::uint64_t shard_count : {1, 2, 3, 8, 13}) {
            std::vector<int> runs(seeds, 0);
            for (std::uint64_t k = 0; k < shard_count; ++k) {
                SeedPlan plan{"42", seeds, k, shard_count};
                plan.validate();
                for (const auto i : plan.indices())
                    ++runs.at(i);
            }
            INFO("N=" << seeds << " M=" << shard_count);
            CHECK(std::all_of(runs.begin(), runs.end(), [](int n) { return n == 1; }));
        }
    }
}

TEST_CASE("seeds derive from --seed-from: an integer or a commit hash", "[explore]") {
    const SeedPlan a{"12", 10, 0, 1};
    const SeedPlan b{"12", 10, 1, 4};
    CHECK(a.seed_at(5) == b.seed_at(5));  // a seed depends on (seed-from, index) only
    CHECK(a.seed_at(5) != a.seed_at(6));
    CHECK(a.seed_at(5) <= static_cast<std::uint64_t>(INT64_MAX));
    CHECK(seed_base("12") == 12);
    CHECK(seed_base("0123456789abcdef0123456789abcdef01234567") == 0x0123456789abcdefULL);
    const SeedPlan commit{"0123456789abcdef0123456789abcdef01234567", 10, 0, 1};
    CHECK(commit.seed_at(0) != a.seed_at(0));
    CHECK_THROWS_AS(seed_base("main"), ExploreError);
    CHECK_THROWS_AS(seed_base("0123456789abcdef"), ExploreError);  // hex, but not a commit
    CHECK_THROWS_AS(seed_base("99999999999999999999999"), ExploreError);

    SeedPlan plan;
    parse_shard("3/8", plan);
    CHECK(plan.shard == 3);
    CHECK(plan.shard_count == 8);
    CHECK_THROWS_WITH(parse_shard("8/8", plan), Catch::Contains("0..7"));
    CHECK_THROWS_AS(parse_shard("1/0", plan), ExploreError);
    CHECK_THROWS_AS(parse_shard("1-8", plan), ExploreError);
    CHECK_THROWS_AS(parse_shard("a/b", plan), ExploreError);
}

TEST_CASE("the determinism spot-check picks a share of the seeds from the seeds themselves",
          "[explore]") {
    int five = 0, none = 0, all = 0;
    for (std::uint64_t seed = 0; seed < 2000; ++seed) {
        five += rechecks(seed, 5) ? 1 : 0;
        none += rechecks(seed, 0) ? 1 : 0;
        all += rechecks(seed, 100) ? 1 : 0;
        CHECK(rechecks(seed, 5) == rechecks(seed, 5));
    }
    CHECK(none == 0);
    CHECK(all == 2000);
    CHECK(five > 60);
    CHECK(five < 140);
}

TEST_CASE("two shard results merged equal the single run, and survive their JSON", "[explore]") {
    const auto base = small_base();
    ExploreSettings settings;
    settings.recheck_percent = 30;
    const auto whole = explore_serially(base, SeedPlan{"5", 6, 0, 1}, settings);
    auto shard0 = explore_serially(base, SeedPlan{"5", 6, 0, 2}, settings);
    auto shard1 = explore_serially(base, SeedPlan{"5", 6, 1, 2}, settings);
    shard0 = result_from_json(to_json(shard0), "shard-0.json");
    shard1 = result_from_json(to_json(shard1), "shard-1.json");
    CHECK(shard0.seeds_run == 3);
    CHECK(shard1.seeds_run == 3);

    const auto merged = merge({shard1, shard0});
    CHECK(merged.seeds_run == whole.seeds_run);
    CHECK(merged.seeds_run == 6);
    CHECK(merged.events == whole.events);
    CHECK(merged.events > 0);
    CHECK(merged.probe_seeds == whole.probe_seeds);
    CHECK(merged.determinism_checks == whole.determinism_checks);
    CHECK(merged.determinism_failures == whole.determinism_failures);
    CHECK(merged.failures.size() == whole.failures.size());
    CHECK(merged.shards == std::vector<std::uint64_t>{0, 1});
    CHECK(covered_indices(merged) == covered_indices(whole));

    auto whole_json = to_json(whole);
    auto merged_json = to_json(merged);
    for (auto* doc : {&whole_json, &merged_json}) {  // the only fields that differ
        doc->erase("shard_count");
        doc->erase("shards");
    }
    CHECK(whole_json == merged_json);
}

TEST_CASE("merge rejects overlapping shards and results of different sweeps", "[explore]") {
    const auto base = small_base();
    ExploreSettings settings;
    settings.recheck_percent = 0;
    auto shard0 = explore_serially(base, SeedPlan{"5", 4, 0, 2}, settings);
    shard0.source = "a.json";
    auto again = shard0;
    again.source = "b.json";
    CHECK_THROWS_WITH(merge({shard0, again}),
                      Catch::Contains("b.json: shard 0/2") && Catch::Contains("overlapping"));

    auto other_seed_from = explore_serially(base, SeedPlan{"6", 4, 1, 2}, settings);
    other_seed_from.source = "c.json";
    CHECK_THROWS_WITH(merge({shard0, other_seed_from}),
                      Catch::Contains("a.json and c.json") && Catch::Contains("--seed-from"));
    auto other_m = explore_serially(base, SeedPlan{"5", 4, 1, 3}, settings);
    CHECK_THROWS_WITH(merge({shard0, other_m}), Catch::Contains("shard count M"));
    auto other_base = shard0;
    other_base.shards = {1};
    other_base.base = "another-base";
    CHECK_THROWS_WITH(merge({shard0, other_base}), Catch::Contains("base scenario"));
    CHECK_THROWS_AS(merge({}), ExploreError);
}

TEST_CASE("result documents are read strictly", "[explore]") {
    ExploreSettings settings;
    settings.recheck_percent = 0;
    const auto result = explore_serially(small_base(), SeedPlan{"5", 2, 0, 1}, settings);
    const auto good = to_json(result);
    CHECK_NOTHROW(result_from_json(good, "r.json"));
    auto unknown = good;
    unknown["colour"] = "blue";
    CHECK_THROWS_WITH(result_from_json(unknown, "r.json"),
                      Catch::Contains("r.json") && Catch::Contains("colour"));
    auto version = good;
    version["version"] = 2;
    CHECK_THROWS_WITH(result_from_json(version, "r.json"), Catch::Contains("/version"));
    auto counts = good;
    counts["seeds_run"] = 3;
    CHECK_THROWS_WITH(result_from_json(counts, "r.json"), Catch::Contains("shards cover 2"));
    auto missing = good;
    missing.erase("events");
    CHECK_THROWS_WITH(result_from_json(missing, "r.json"), Catch::Contains("events"));
    auto probes = good;
    probes["probe_seeds"]["no_such_probe"] = 1;
    CHECK_THROWS_WITH(result_from_json(probes, "r.json"), Catch::Contains("no_such_probe"));
}

TEST_CASE("a failing seed's written scenario replays to the same failure and trace hash",
          "[explore]") {
    const auto base = impossible_base();
    const SeedPlan plan{"9", 3, 0, 1};
    ExploreSettings settings;
    settings.recheck_percent = 0;
    const auto outcome = run_seed(base, plan, 1, settings);
    REQUIRE_FALSE(outcome.passed);
    REQUIRE(std::find(outcome.failed_checkers.begin(), outcome.failed_checkers.end(), "liveness") !=
            outcome.failed_checkers.end());

    const auto dir = std::filesystem::temp_directory_path() /
                     fmt::format("scaleup-explore-test-{}", outcome.seed);
    const auto file = write_seed_document(dir.string(), outcome);
    CHECK(file == (dir / (outcome.name + ".json")).string());
    const auto replayed = run_scenario(load_scenario_file(file), RunSettings{});
    std::filesystem::remove_all(dir);

    CHECK(replayed.seed == outcome.seed);
    CHECK(replayed.trace_hash == outcome.trace_hash);
    CHECK(replayed.events == outcome.events);
    std::vector<std::string> failed;
    for (const auto& checker : replayed.checkers) {
        if (!checker.passed)
            failed.push_back(checker.checker);
    }
    CHECK(failed == outcome.failed_checkers);

    auto result = start_result(base, plan, settings);
    record_seed(result, outcome, file);
    REQUIRE(result.failures.size() == 1);
    CHECK(result.failures[0].file == file);
    CHECK(result.failures[0].seed == outcome.seed);
    CHECK(result.failures[0].index == 1);
}

TEST_CASE("the spot-check passes a deterministic seed and names a non-deterministic one's event",
          "[explore]") {
    const auto base = small_base();
    const SeedPlan plan{"3", 1, 0, 1};
    ExploreSettings settings;
    settings.recheck_percent = 100;
    const auto clean = run_seed(base, plan, 0, settings);
    CHECK(clean.rechecked);
    CHECK_FALSE(clean.recheck_failed);

    // State outside the simulation, as the wall clock or a heap address would be: each run
    // traces another value at minute 10.
    static int outside = 0;
    settings.adjust_scenario = [](Scenario& scenario) {
        scenario.world.timeline.push_back(
            {minutes(10), "read state outside the simulation", [](World& world) {
                 world.runtime().trace("test", "outside", fmt::format("n={}", ++outside));
             }});
    };
    const auto broken = run_seed(base, plan, 0, settings);
    CHECK(broken.rechecked);
    CHECK(broken.recheck_failed);
    CHECK_FALSE(broken.passed);
    REQUIRE(broken.failed_checkers.size() >= 1);
    CHECK(broken.failed_checkers.back() == "determinism");
    CHECK(broken.summaries.back().find("first divergent event") != std::string::npos);
    CHECK(broken.summaries.back().find("test outside n=") != std::string::npos);

    auto result = start_result(base, plan, settings);
    record_seed(result, broken, "");
    CHECK(result.determinism_checks == 1);
    CHECK(result.determinism_failures == 1);
    CHECK(result.failures.size() == 1);
}
