#include "sim/world/workload.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace scaleup::sim {

namespace {
std::size_t pick_weighted(const std::vector<WorkloadOwner>& owners, std::uint64_t total,
                          Random& random) {
    std::uint64_t point = random.below(total);
    for (std::size_t i = 0; i < owners.size(); ++i) {
        if (point < owners[i].weight)
            return i;
        point -= owners[i].weight;
    }
    return owners.size() - 1;
}

PlannedJob plan_one(const WorkloadOptions& options, std::uint64_t total_weight, Duration at,
                    Random& random) {
    PlannedJob job;
    job.arrives_at = at;
    job.owner = pick_weighted(options.owners, total_weight, random);
    const auto& repos = options.owners[job.owner].repos;
    job.repo = repos[random.below(repos.size())];
    job.label_set = random.below(options.label_sets.size());
    job.duration = random.between(options.job_duration_min, options.job_duration_max);
    if (random.chance(options.cancel_while_queued)) {
        job.cancel_after = random.between(options.cancel_after_min, options.cancel_after_max);
    }
    return job;
}
}  // namespace

std::vector<PlannedJob> plan_workload(const WorkloadOptions& options, Random random) {
    if (options.owners.empty())
        throw std::invalid_argument("workload: no owners");
    if (options.label_sets.empty())
        throw std::invalid_argument("workload: no label sets");
    std::uint64_t total_weight = 0;
    for (const auto& owner : options.owners) {
        if (owner.repos.empty())
            throw std::invalid_argument("workload: owner without repos");
        total_weight += owner.weight;
    }
    if (total_weight == 0)
        throw std::invalid_argument("workload: owner weights sum to zero");

    std::vector<PlannedJob> jobs;
    if (options.jobs_per_hour > 0) {
        const Duration mean_gap = hours(1) / options.jobs_per_hour;
        for (Duration at = random.exponential(mean_gap); at < options.arrivals_until;
             at += random.exponential(mean_gap)) {
            jobs.push_back(plan_one(options, total_weight, at, random));
        }
    }
    for (const auto& burst : options.bursts) {
        for (int i = 0; i < burst.jobs; ++i) {
            jobs.push_back(plan_one(options, total_weight, burst.at, random));
        }
    }
    std::stable_sort(jobs.begin(), jobs.end(), [](const PlannedJob& a, const PlannedJob& b) {
        return a.arrives_at < b.arrives_at;
    });
    for (std::size_t i = 0; i < jobs.size(); ++i)
        jobs[i].index = i;
    return jobs;
}

}  // namespace scaleup::sim
