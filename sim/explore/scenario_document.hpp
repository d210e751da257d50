// A scenario document written back as a file: the keys in the order of scenarios/schema.json (the
// order every file in the library uses), 2-space indented, a final newline. nlohmann::json keeps
// keys sorted, which would put "config" before "name"; a shrunk or explored scenario is meant to be
// read and committed, so it must look like the files next to it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace scaleup::sim {

/// The document as a scenario file's text. Keys the schema does not list (e.g. inside "config")
/// follow the listed ones, sorted.
std::string format_scenario_document(const nlohmann::json& document);

/// The key order used for each kind of object, by the schema's name for it: "scenario",
/// "workload", "owner", "burst", "range", "world", "fault", "expect" (tests compare these with
/// scenarios/schema.json).
const std::vector<std::string>& scenario_key_order(const std::string& object);

}  // namespace scaleup::sim
