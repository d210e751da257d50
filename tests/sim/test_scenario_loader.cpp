// Scenario files: every file in the library loads; bad input names the file, the JSON pointer and
// what was expected; the schema knows every fault kind the loader knows.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "core/common/json_reader.hpp"
#include "sim/scenario/scenario.hpp"
#include "tests/test_paths.hpp"

using namespace scaleup;
using namespace scaleup::sim;

namespace {

std::string load_error(const std::string& text) {
    try {
        (void)load_scenario(parse_json(text), "bad.json");
    } catch (const ScenarioError& e) {
        return e.what();
    }
    return "no error";
}
}  // namespace

TEST_CASE("every scenario in the library loads and names its incident", "[scenarios]") {
    const auto files = expand_scenario_paths({scaleup::testing::source_root() + "/scenarios"});
    REQUIRE(files.size() >= 15);
    for (const auto& file : files) {
        INFO(file);
        const auto scenario = load_scenario_file(file);
        CHECK_FALSE(scenario.description.empty());
        CHECK_FALSE(scenario.checkers.empty());
    }
}

TEST_CASE("bad scenario input names the file, the pointer and what was expected", "[scenarios]") {
    const std::string base = R"("name": "x", "description": "y", "duration_seconds": 60)";
    CHECK(load_error("{" + base + R"(, "drain_second": 5})") ==
          "bad.json: at /drain_second: unknown field (misspelt?)");
    CHECK(load_error("{" + base + R"(, "faults": [{"kind": "postgres_stal"}]})")
              .rfind("bad.json: at /faults/0/kind: unknown fault kind \"postgres_stal\"", 0) == 0);
    CHECK(load_error("{" + base +
                     R"(, "faults": [{"kind": "postgres_stall", "start_seconds": 5}]})") ==
          "bad.json: at /faults/0/duration_seconds: required field is missing");
    CHECK(load_error("{" + base + R"(, "config": {"max_runners": "ten"}})") ==
          "bad.json: at /config/max_runners: expected an integer, found string");
    CHECK(load_error("{" + base + R"(, "workload": {"owners": [{"name": "a", "repos": []}]}})") ==
          "bad.json: at /workload/owners/0/repos: at least one repository");
    CHECK(load_error("{" + base + R"(, "expect": {"checkers": ["no_job_lots"]}})")
              .rfind("bad.json: at /expect/checkers/0: unknown checker", 0) == 0);
    CHECK(load_error(R"({"name": "x"})") == "bad.json: at /description: required field is missing");
    CHECK_THROWS_WITH(load_scenario_file("/nonexistent.json"),
                      "/nonexistent.json: cannot open the file");
}

TEST_CASE("the JSON Schema lists every fault kind and checker the loader accepts", "[scenarios]") {
    std::ifstream in(scaleup::testing::source_root() + "/scenarios/schema.json");
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    const auto schema = nlohmann::json::parse(text.str());
    const auto& kinds = schema["properties"]["faults"]["items"]["properties"]["kind"]["enum"];
    CHECK(kinds.get<std::vector<std::string>>() == fault_kinds());
    const auto& checkers =
        schema["properties"]["expect"]["properties"]["checkers"]["items"]["enum"];
    CHECK(checkers.get<std::vector<std::string>>() == checker_names());
}
