// Scenario: what an SRE writes (scenarios/*.json, schema in scenarios/schema.json) and what it
// becomes: a WorldOptions, the checkers to run and their thresholds.
//
// Loading is strict. Every error names the file, the JSON pointer of the offending field and what
// was expected; an unknown key is an error (a misspelt key never falls back to a default). The
// loader throws ScenarioError; `scaleup run` turns it into exit code 2.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/checkers/checker.hpp"
#include "sim/world/world.hpp"

namespace scaleup::sim {

class ScenarioError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct Scenario {
    std::string name;
    std::string description;
    std::string file;
    std::uint64_t seed = 1;
    WorldOptions world;
    std::vector<std::string> checkers;  // names; default: every checker
    CheckerSettings settings;
    nlohmann::json source;  // the document as loaded (for writing a replayable copy)
};

/// Loads one scenario file. Throws ScenarioError with "<file>: at <pointer>: <problem>".
Scenario load_scenario_file(const std::string& path);
/// Builds a scenario from a parsed document (`file` names it in errors).
Scenario load_scenario(const nlohmann::json& document, const std::string& file);
/// The scenario files named by `paths`: files as given, directories' *.json (not schema.json)
/// sorted.
std::vector<std::string> expand_scenario_paths(const std::vector<std::string>& paths);

/// The fault kinds the loader knows, for the schema test and error messages.
std::vector<std::string> fault_kinds();

}  // namespace scaleup::sim
