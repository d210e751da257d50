// Workload: which workflow jobs arrive when, for whom, asking for which labels, running how long.
//
// The whole arrival schedule is drawn up front from the workload's own random stream, so a fault
// mix never changes which jobs arrive (swarm runs compare like with like), and the schedule can be
// printed and shrunk. Arrivals are a Poisson process (exponential gaps) at `jobs_per_hour`, plus
// bursts of many jobs at one instant; owners are chosen by weight; a share of jobs is cancelled by
// their user while queued.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/runtime/random.hpp"
#include "core/runtime/time.hpp"

namespace scaleup::sim {

struct WorkloadOwner {
    std::string name;  // organization login
    std::vector<std::string> repos{"app"};
    std::int64_t installation_id = 1;
    std::uint64_t weight = 1;  // relative share of jobs
    std::string type = "Organization";
};

struct WorkloadBurst {
    Duration at{};  // from the start of the run
    int jobs = 0;
};

struct WorkloadOptions {
    std::vector<WorkloadOwner> owners{WorkloadOwner{}};
    std::vector<std::vector<std::string>> label_sets{{"self-hosted", "linux", "x64"}};
    std::int64_t jobs_per_hour = 60;
    Duration arrivals_until = hours(1);  // no steady arrivals after this (bursts still happen)
    std::vector<WorkloadBurst> bursts;
    Duration job_duration_min = minutes(1);
    Duration job_duration_max = minutes(10);
    Ratio cancel_while_queued = Ratio::never();  // the user cancels the run
    Duration cancel_after_min = seconds(10);
    Duration cancel_after_max = minutes(5);
};

struct PlannedJob {
    std::uint64_t index = 0;  // arrival order
    Duration arrives_at{};    // from the start of the run
    std::size_t owner = 0;    // index into WorkloadOptions::owners
    std::string repo;
    std::size_t label_set = 0;
    Duration duration{};
    std::optional<Duration> cancel_after;  // after arrival
};

/// Draws the arrival schedule, sorted by arrival time (then index). Precondition: at least one
/// owner and one label set; owners have weight > 0 in total.
std::vector<PlannedJob> plan_workload(const WorkloadOptions& options, Random random);

}  // namespace scaleup::sim
