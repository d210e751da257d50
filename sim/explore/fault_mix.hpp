// FaultMix: swarm testing's random fault mix for one seed of `scaleup explore`.
//
// Swarm testing (Groce et al., ISSTA 2012): instead of turning every fault on at a low rate in
// every run, each run switches whole fault FAMILIES on or off, then draws parameters for the kinds
// that are on. A run with only Postgres and SQS faults reaches states that a run drowning in every
// fault at once never does (one fault masks another), and over many seeds every combination
// comes up. The control plane's own switches (its optional queued check) are drawn the same way,
// so a path only one setting takes is explored too.
//
// The mix is a pure function of the seed (our own Random, no standard distributions) and of the
// base scenario's shape (fault phase, liveness bound, owners). It is written as ordinary entries of
// the scenario's "faults" array, so a seed's whole scenario is one self-contained document that
// `scaleup run` replays and `scaleup shrink` edits.
//
// The ranges are what the real services show in a bad hour, never a service that is down for
// good: windows lie inside the fault phase and are at most two thirds of the liveness bound (the
// control plane must be able to catch up after the heal), and rates stay at levels where retries
// win. A correct control plane passes every mix; the checkers are never loosened to fit one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/scenario/scenario.hpp"

namespace scaleup::sim {

/// A family of fault kinds that swarm testing switches on or off together.
struct FaultFamily {
    std::string name;
    std::vector<std::string> kinds;
};

/// Every family, in a fixed order; together they name every kind of the catalogue exactly once.
const std::vector<FaultFamily>& fault_families();

struct FaultMix {
    std::uint64_t seed = 0;
    std::vector<std::string> families;  // the families switched on, in fault_families() order
    nlohmann::json faults = nlohmann::json::array();  // the generated entries, scenario format
    /// The control plane's switches the seed turns on, merged into the scenario's "config".
    nlohmann::json config = nlohmann::json::object();

    /// One line, e.g. "families=ec2 config=job_queued_check=true faults=1 ec2_lost_response(...)".
    std::string summary() const;
};

/// The seed's fault mix for `base` (its duration, liveness bound and owners bound the draws).
FaultMix generate_fault_mix(const Scenario& base, std::uint64_t seed);

/// The seed's whole scenario document: the base document renamed "<base>-seed-<seed>", with the
/// seed, the base's faults followed by the mix's, the mix's switches set in its "config", and a
/// description saying where it came from.
nlohmann::json seed_document(const Scenario& base, const FaultMix& mix);

/// "kind(key=value,...)" for each entry of a "faults" array, space-separated.
std::string describe_faults(const nlohmann::json& faults);

}  // namespace scaleup::sim
