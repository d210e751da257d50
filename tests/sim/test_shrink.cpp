// Shrinking (issue 7): a failing scenario shrinks to a minimal one that fails the same checker.
//
// The failure is planted in a test-only port, not in the core: LedgerThatForgetsFailures wraps
// the simulated Postgres as the batch handler's ledger and reports a failed mark_configured as
// done. The handler then acknowledges a message whose job the ledger never recorded as served,
// and ack_after_durability fails. Only a failing ledger write shows the bug: of the noisy
// scenario's six faults, postgres_serialization_failures is the one that triggers it.
#include <catch2/catch.hpp>

#include <fstream>
#include <memory>
#include <sstream>

#include "core/common/json_reader.hpp"
#include "sim/explore/ddmin.hpp"
#include "sim/explore/scenario_document.hpp"
#include "sim/explore/shrinker.hpp"
#include "sim/scenario/scenario_runner.hpp"
#include "tests/test_paths.hpp"

using namespace scaleup;
using namespace scaleup::sim;

namespace {
/// The planted bug: a ledger that reports a failed mark_configured as done, so the handler
/// acknowledges a message whose job the ledger never recorded as served.
class LedgerThatForgetsFailures final : public LedgerPort {
  public:
    explicit LedgerThatForgetsFailures(LedgerPort& ledger) : ledger_(ledger) {}

    Task<Status> mark_configured(std::int64_t job_id, Identifier instance_id) override {
        Status done = co_await ledger_.mark_configured(job_id, std::move(instance_id));
        co_return done.ok() ? done : ok_status();  // the bug
    }

    // Everything else as the ledger does it.
    Task<Status> commit_launch(std::string reservation_id,
                               std::vector<LaunchedInstance> instances) override {
        return ledger_.commit_launch(std::move(reservation_id), std::move(instances));
    }
    Task<Result<int>> reserve_slots(std::string reservation_id, int wanted, int maximum,
                                    Instant lease_until) override {
        return ledger_.reserve_slots(std::move(reservation_id), wanted, maximum, lease_until);
    }
    Task<Status> release_instance(Identifier instance_id) override {
        return ledger_.release_instance(std::move(instance_id));
    }
    Task<Result<std::optional<std::string>>> configured_instance_for_job(
        std::int64_t job_id) override {
        return ledger_.configured_instance_for_job(job_id);
    }
    Task<Result<bool>> record_delivery(Identifier delivery_guid, std::int64_t job_id,
                                       std::string message_body, Instant received_at) override {
        return ledger_.record_delivery(std::move(delivery_guid), job_id, std::move(message_body),
                                       received_at);
    }
    Task<Result<std::vector<OutboxEntry>>> pending_outbox(int limit) override {
        return ledger_.pending_outbox(limit);
    }
    Task<Status> mark_outbox_sent(Identifier delivery_guid) override {
        return ledger_.mark_outbox_sent(std::move(delivery_guid));
    }
    Task<Status> note_enqueued(std::int64_t job_id, Instant at) override {
        return ledger_.note_enqueued(job_id, at);
    }
    Task<Result<std::optional<Instant>>> last_enqueued(std::int64_t job_id) override {
        return ledger_.last_enqueued(job_id);
    }
    Task<Result<std::vector<LaunchedInstance>>> held_instances() override {
        return ledger_.held_instances();
    }

  private:
    LedgerPort& ledger_;
};

RunReport run_with_planted_bug(const Scenario& scenario) {
    Scenario planted = scenario;
    planted.world.wrap_handler_ledger = [](LedgerPort& ledger) -> std::unique_ptr<LedgerPort> {
        return std::make_unique<LedgerThatForgetsFailures>(ledger);
    };
    return run_scenario(planted, RunSettings{});
}

RunReport run_plain(const Scenario& scenario) {
    return run_scenario(scenario, RunSettings{});
}

/// The trigger (postgres_serialization_failures) among five unrelated faults, 320 steady jobs and a
/// burst of 20, four owners. (With installation_suspended instead of cancel_queued_jobs, seed 3
/// fails without the bug: see docs/shrink.md.)
nlohmann::json noisy_scenario() {
    return parse_json(R"({
      "name": "noisy",
      "description": "postgres_serialization_failures among unrelated faults",
      "seed": 3,
      "duration_seconds": 2400,
      "drain_seconds": 1800,
      "config": {"max_runners": 50},
      "workload": {
        "owners": [{"name": "acme", "repos": ["app", "web"]}, {"name": "globex", "repos": ["api"]},
                   {"name": "initech", "repos": ["tps", "crm"]}, {"name": "umbrella", "repos": ["lab"]}],
        "jobs_per_hour": 480,
        "bursts": [{"at_seconds": 600, "jobs": 20}],
        "job_duration_seconds": {"min": 60, "max": 300}
      },
      "world": {"consumers": 3},
      "faults": [
        {"kind": "github_server_errors", "percent": 5},
        {"kind": "sqs_duplicates", "percent": 10},
        {"kind": "postgres_serialization_failures", "percent": 20},
        {"kind": "ssm_errors", "percent": 20},
        {"kind": "ec2_unavailable", "start_seconds": 1200, "duration_seconds": 300},
        {"kind": "cancel_queued_jobs", "at_seconds": 1800, "percent": 20}
      ]
    })");
}

/// A stand-in for the simulation with a known failure, so the reductions have exact answers:
/// no_job_lost fails while ssm_errors is at 7% or more, installation_suspended is present, there
/// are 100 jobs per hour or more and globex is an owner. liveness fails while postgres_stall is
/// present (a candidate failing only that is failing another way). The run throws for a fault
/// phase under 1,000 s (a candidate that throws is rejected).
RunReport fake_run(const Scenario& scenario) {
    if (scenario.world.run_for < seconds(1000))
        throw std::runtime_error("too short");
    bool ssm_errors = false;
    bool suspended = false;
    bool stall = false;
    for (const auto& fault : scenario.source.value("faults", nlohmann::json::array())) {
        const auto kind = fault.at("kind").get<std::string>();
        ssm_errors = ssm_errors || (kind == "ssm_errors" && fault.value("percent", 0) >= 7);
        suspended = suspended || kind == "installation_suspended";
        stall = stall || kind == "postgres_stall";
    }
    bool globex = false;
    for (const auto& owner : scenario.world.workload.owners)
        globex = globex || owner.name == "globex";
    const auto& workload = scenario.world.workload;
    RunReport report;
    report.jobs_queued = workload.jobs_per_hour * (scenario.world.run_for / seconds(1)) / 3600;
    const bool bug = ssm_errors && suspended && globex && workload.jobs_per_hour >= 100;
    report.checkers = {{"no_job_lost", !bug, bug ? "1 lost" : "", {}},
                       {"liveness", !stall, stall ? "late" : "", {}}};
    report.passed = !bug && !stall;
    return report;
}

std::vector<std::string> failing_checkers(const RunReport& report) {
    std::vector<std::string> names;
    for (const auto& checker : report.checkers) {
        if (!checker.passed)
            names.push_back(checker.checker);
    }
    return names;
}

bool checker_fails(const RunReport& report, const std::string& name) {
    for (const auto& checker : report.checkers) {
        if (checker.checker == name)
            return !checker.passed;
    }
    return false;
}

std::vector<std::string> fault_kinds_of(const nlohmann::json& document) {
    std::vector<std::string> kinds;
    for (const auto& fault : document.value("faults", nlohmann::json::array()))
        kinds.push_back(fault.at("kind").get<std::string>());
    return kinds;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}
}  // namespace

TEST_CASE("the planted bug fails a checker only under postgres_serialization_failures",
          "[shrink]") {
    const auto noisy = noisy_scenario();
    CHECK(failing_checkers(run_plain(load_scenario(noisy, "noisy.json"))).empty());
    CHECK(failing_checkers(run_with_planted_bug(load_scenario(noisy, "noisy.json"))) ==
          std::vector<std::string>{"ack_after_durability"});
    auto without_trigger = noisy;
    without_trigger["faults"].erase(2);
    REQUIRE(fault_kinds_of(without_trigger).size() == 5);
    CHECK(failing_checkers(run_with_planted_bug(load_scenario(without_trigger, "noisy.json")))
              .empty());
}

TEST_CASE("shrinking reduces a scenario with a planted fault-handling bug to a minimal one",
          "[shrink]") {
    const auto noisy = noisy_scenario();
    ShrinkOptions options;
    options.run = run_with_planted_bug;
    std::vector<nlohmann::json> unloadable;
    int candidates = 0;
    options.on_candidate = [&](const nlohmann::json& candidate, bool loaded) {
        ++candidates;
        if (!loaded)
            unloadable.push_back(candidate);
    };
    const auto result = shrink_scenario(noisy, "noisy.json", options);
    INFO(format_scenario_document(result.minimal));

    REQUIRE(result.outcome == ShrinkOutcome::shrunk);
    CHECK(result.checker == "ack_after_durability");
    CHECK_FALSE(result.budget_exhausted);
    CHECK(fault_kinds_of(result.minimal) ==
          std::vector<std::string>{"postgres_serialization_failures"});
    CHECK(result.minimal["workload"]["owners"].size() == 1);
    CHECK(result.minimal["workload"]["owners"][0]["repos"].size() == 1);
    CHECK(result.minimal["workload"]["jobs_per_hour"].get<int>() < 480);
    CHECK(result.minimal.value("seed", 0) == 3);
    CHECK(result.after.jobs_queued < result.before.jobs_queued / 4);
    CHECK(result.before.faults == 6);
    CHECK(result.after.faults == 1);
    CHECK(result.after.owners == 1);
    CHECK(result.minimal["description"] ==
          "shrunk by scaleup shrink from noisy.json (seed 3): ack_after_durability fails");
    CHECK(result.minimal["name"] == "noisy-shrunk");
    CHECK(result.steps.front().description.rfind("faults: 6 -> ", 0) == 0);
    CHECK(result.steps.size() >= 4);
    CHECK(result.runs <= 150);

    // Every candidate was a valid scenario: none was skipped, every one was run or cached.
    CHECK(unloadable.empty());
    CHECK(result.candidates_rejected == 0);
    CHECK(candidates >= result.runs - 1);

    // The file replays to the same failure with the bug, and passes without it.
    const auto file = parse_json(format_scenario_document(result.minimal));
    CHECK(checker_fails(run_with_planted_bug(load_scenario(file, "shrunk.json")),
                        "ack_after_durability"));
    CHECK(run_plain(load_scenario(file, "shrunk.json")).passed);

    // Deterministic: the same input shrinks to the same document in the same steps.
    ShrinkOptions same;
    same.run = run_with_planted_bug;
    const auto again = shrink_scenario(noisy, "noisy.json", same);
    CHECK(again.minimal == result.minimal);
    CHECK(again.runs == result.runs);
    REQUIRE(again.steps.size() == result.steps.size());
    for (std::size_t i = 0; i < again.steps.size(); ++i)
        CHECK(again.steps[i].description == result.steps[i].description);
}

TEST_CASE("each reduction goes as far as the failure allows, and no further", "[shrink]") {
    auto noisy = noisy_scenario();
    noisy["faults"][5] = {
        {"kind", "installation_suspended"}, {"at_seconds", 1800}, {"owner", "umbrella"}};
    noisy["faults"].push_back(
        {{"kind", "ec2_unavailable"}, {"start_seconds", 2000}, {"duration_seconds", 100}});
    noisy["faults"].push_back(
        {{"kind", "postgres_stall"}, {"start_seconds", 300}, {"duration_seconds", 60}});
    ShrinkOptions options;
    options.run = fake_run;
    bool all_loaded = true;
    options.on_candidate = [&](const nlohmann::json&, bool loaded) {
        all_loaded = all_loaded && loaded;
    };
    const auto result = shrink_scenario(noisy, "noisy.json", options);
    INFO(format_scenario_document(result.minimal));
    REQUIRE(result.outcome == ShrinkOutcome::shrunk);
    CHECK(result.checker == "no_job_lost");
    CHECK(all_loaded);
    // Only the two faults the failure needs; the percent as low as it still fails (7), the
    // suspension as early as it goes.
    CHECK(result.minimal["faults"] == parse_json(R"([{"kind": "ssm_errors", "percent": 7},
                         {"kind": "installation_suspended", "at_seconds": 0, "owner": "umbrella"}])"));
    // globex is needed, umbrella is named by a fault; one repo each; no bursts.
    CHECK(result.minimal["workload"]["owners"] ==
          parse_json(
              R"([{"name": "globex", "repos": ["api"]}, {"name": "umbrella", "repos": ["lab"]}])"));
    CHECK_FALSE(result.minimal["workload"].contains("bursts"));
    CHECK(result.minimal["workload"]["jobs_per_hour"] == 120);  // 60 and 90 are too few
    // 2400 -> 1501 -> 1051, halfway to the burst's end each time; then the burst goes, and 1, 526
    // and 789 throw.
    CHECK(result.minimal["duration_seconds"] == 1051);
    CHECK(result.candidates_threw >= 2);
    CHECK(result.before.jobs_queued == 320);
    CHECK(result.after.jobs_queued == 35);  // 120 per hour for 1051 s
    CHECK(result.candidates_rejected == 0);
}

TEST_CASE("a switch the failure does not need is dropped, one it needs stays", "[shrink]") {
    auto switched = noisy_scenario();
    switched["config"] =
        parse_json(R"({"max_runners": 50, "job_queued_check": true, "org_runners": false})");
    ShrinkOptions options;
    // Fails while the queued check is on and there is any fault at all.
    options.run = [](const Scenario& scenario) {
        const bool fails = scenario.world.config.job_queued_check &&
                           !scenario.source.value("faults", nlohmann::json::array()).empty();
        RunReport report;
        report.checkers = {{"liveness", !fails, fails ? "late" : "", {}}};
        report.passed = !fails;
        return report;
    };
    const auto result = shrink_scenario(switched, "switched.json", options);
    INFO(format_scenario_document(result.minimal));
    REQUIRE(result.outcome == ShrinkOutcome::shrunk);
    CHECK(result.minimal["config"] ==
          parse_json(R"({"max_runners": 50, "job_queued_check": true})"));
    bool dropped_org_runners = false;
    for (const auto& step : result.steps) {
        dropped_org_runners =
            dropped_org_runners ||
            step.description == "config: dropped org_runners (its default applies)";
    }
    CHECK(dropped_org_runners);
}

TEST_CASE("limits are never lowered: a shrunk capacity or rate limit is a harsher fault",
          "[shrink]") {
    // The failure needs only that EC2's capacity is limited at all. Lowering the limit would
    // still "fail", for a harsher reason: a capacity of 0 starves every job (a real shrink did
    // that to a liveness failure at 156 instances).
    auto limited = noisy_scenario();
    limited["faults"] = parse_json(R"([
        {"kind": "ec2_capacity", "instances": 150, "shortfall_code": "UnfulfillableCapacity"},
        {"kind": "github_primary_rate_limit", "requests_per_hour": 3000,
         "registrations_per_hour": 2000},
        {"kind": "ssm_throttling", "requests_per_second": 20},
        {"kind": "ec2_throttling", "burst": 3, "refill_per_second": 2}])");
    ShrinkOptions options;
    options.run = [](const Scenario& scenario) {
        bool capacity = false;
        for (const auto& fault : scenario.source.value("faults", nlohmann::json::array()))
            capacity = capacity || fault.at("kind") == "ec2_capacity";
        RunReport report;
        report.checkers = {{"liveness", !capacity, capacity ? "late" : "", {}}};
        report.passed = !capacity;
        return report;
    };
    const auto result = shrink_scenario(limited, "limited.json", options);
    INFO(format_scenario_document(result.minimal));
    REQUIRE(result.outcome == ShrinkOutcome::shrunk);
    CHECK(result.minimal["faults"] == parse_json(R"([{"kind": "ec2_capacity", "instances": 150,
                                                       "shortfall_code": "UnfulfillableCapacity"}])"));
}

TEST_CASE("a scenario that passes has nothing to shrink", "[shrink]") {
    int steps = 0;
    ShrinkOptions options;
    options.on_step = [&](const ShrinkStep&) { ++steps; };
    const auto result = shrink_scenario(noisy_scenario(), "noisy.json", options);
    CHECK(result.outcome == ShrinkOutcome::input_passes);
    CHECK(result.runs == 1);
    CHECK(result.checker.empty());
    CHECK(steps == 0);
}

TEST_CASE("the run budget stops shrinking with the smallest failing scenario so far", "[shrink]") {
    ShrinkOptions options;
    options.run = run_with_planted_bug;
    options.max_runs = 4;
    const auto result = shrink_scenario(noisy_scenario(), "noisy.json", options);
    REQUIRE(result.outcome == ShrinkOutcome::shrunk);
    CHECK(result.budget_exhausted);
    CHECK(result.runs == 4);
    CHECK(checker_fails(run_with_planted_bug(load_scenario(result.minimal, "x.json")),
                        "ack_after_durability"));
}

TEST_CASE("ddmin finds the one item that fails, and pairs that fail only together", "[shrink]") {
    const Subset eight{0, 1, 2, 3, 4, 5, 6, 7};
    int questions = 0;
    const auto contains = [](const Subset& s, std::size_t i) {
        return std::find(s.begin(), s.end(), i) != s.end();
    };
    CHECK(ddmin(eight, 0, [&](const Subset& s) {
              ++questions;
              return contains(s, 5);
          }) == Subset{5});
    CHECK(questions == 6);  // {}, then two halves, two quarters, two eighths
    CHECK(ddmin(eight, 0, [&](const Subset& s) { return contains(s, 1) && contains(s, 6); }) ==
          Subset{1, 6});
    CHECK(ddmin(eight, 0, [](const Subset&) { return true; }).empty());
    CHECK(ddmin(eight, 1, [](const Subset&) { return true; }) == Subset{0});
    CHECK(ddmin({}, 0, [](const Subset&) { return true; }).empty());
}

TEST_CASE("a scenario document is written in the schema's key order", "[shrink]") {
    const auto schema = nlohmann::ordered_json::parse(
        read_text(scaleup::testing::source_root() + "/scenarios/schema.json"));
    const auto keys = [](const nlohmann::ordered_json& properties) {
        std::vector<std::string> out;
        for (const auto& [key, value] : properties.items())
            out.push_back(key);
        return out;
    };
    const auto& top = schema["properties"];
    const auto& workload = top["workload"]["properties"];
    CHECK(keys(top) == scenario_key_order("scenario"));
    CHECK(keys(workload) == scenario_key_order("workload"));
    CHECK(keys(workload["owners"]["items"]["properties"]) == scenario_key_order("owner"));
    CHECK(keys(workload["bursts"]["items"]["properties"]) == scenario_key_order("burst"));
    CHECK(keys(workload["job_duration_seconds"]["properties"]) == scenario_key_order("range"));
    CHECK(keys(top["world"]["properties"]) == scenario_key_order("world"));
    CHECK(keys(top["faults"]["items"]["properties"]) == scenario_key_order("fault"));
    CHECK(keys(top["expect"]["properties"]) == scenario_key_order("expect"));

    // The library's files are written that way: formatting one reproduces it byte for byte
    // (a few are compact or put a key elsewhere; the shrinker's output is always in this form).
    int byte_for_byte = 0;
    for (const auto& path :
         expand_scenario_paths({scaleup::testing::source_root() + "/scenarios"})) {
        const auto text = read_text(path);
        byte_for_byte += format_scenario_document(parse_json(text)) == text ? 1 : 0;
    }
    CHECK(byte_for_byte >= 15);
}
