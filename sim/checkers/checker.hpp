// Checkers: the invariants every scenario run is judged by. One class per invariant, one file each,
// reading what the simulated services recorded (never the core's internals). Each reports what it
// found, with the job and instance ids and the simulated times that show it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/checkers/job_classification.hpp"
#include "sim/scenario/run_report.hpp"
#include "sim/world/world.hpp"

namespace scaleup::sim {

struct CheckerSettings {
    /// Liveness: after faults heal, a queued job is picked up within this bound.
    Duration liveness_bound = minutes(15);
    /// Dead-lettered jobs allowed (visible, with a reason); -1: any number.
    std::int64_t max_dead_lettered = -1;
    /// Extra time an orphan may live beyond boot timeout + one scale-down interval.
    Duration orphan_grace = minutes(2);
    /// Findings listed per checker at most (the count is always exact).
    std::size_t max_findings = 20;
};

class Checker {
  public:
    virtual ~Checker() = default;
    virtual std::string_view name() const = 0;
    /// Judges a finished run. `jobs` is `classify_jobs(world)`, computed once for every checker.
    virtual CheckerResult check(const World& world, const JobClassification& jobs,
                                const CheckerSettings& settings) const = 0;
    /// The same, classifying the jobs first: for one checker on its own.
    CheckerResult check(const World& world, const CheckerSettings& settings) const {
        return check(world, classify_jobs(world), settings);
    }
};

/// Every checker, in report order.
std::vector<std::unique_ptr<Checker>> all_checkers();
/// The checker with this name, or nullptr.
std::unique_ptr<Checker> make_checker(std::string_view name);
/// Names of every checker, for schema and error messages.
std::vector<std::string> checker_names();

// The factories, one per checker file.
std::unique_ptr<Checker> make_no_job_lost_checker();
std::unique_ptr<Checker> make_liveness_checker();
std::unique_ptr<Checker> make_no_orphans_checker();
std::unique_ptr<Checker> make_capacity_checker();
std::unique_ptr<Checker> make_ack_after_durability_checker();
std::unique_ptr<Checker> make_token_hygiene_checker();
std::unique_ptr<Checker> make_accounted_outcomes_checker();

/// Adds a finding unless the list is full; the caller counts violations separately.
void add_finding(CheckerResult& result, const CheckerSettings& settings, std::string finding);

}  // namespace scaleup::sim
