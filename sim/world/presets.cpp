#include "sim/world/presets.hpp"

namespace scaleup::sim {

WorldOptions steady_day(std::int64_t jobs_per_day, std::uint64_t seed) {
    WorldOptions o;
    o.seed = seed;
    o.run_for = hours(24);
    o.drain = hours(1);
    o.config.max_runners = 400;
    o.workload.owners = {WorkloadOwner{"acme", {"app", "web"}, 1, 3, "Organization"},
                         WorkloadOwner{"globex", {"api"}, 2, 2, "Organization"},
                         WorkloadOwner{"initech", {"tps"}, 3, 1, "Organization"},
                         WorkloadOwner{"umbrella", {"lab"}, 4, 1, "Organization"},
                         WorkloadOwner{"hooli", {"nucleus"}, 5, 1, "Organization"}};
    o.workload.jobs_per_hour = jobs_per_day / 24;
    o.workload.arrivals_until = o.run_for;
    o.workload.job_duration_min = minutes(1);
    o.workload.job_duration_max = minutes(15);
    o.consumers.consumers = 5;
    o.github.server_error = Ratio::percent(1);
    o.sqs.duplicate_after_delete = Ratio::percent(1);
    o.ec2.boot_failure_rate = Ratio::percent(1);
    return o;
}

}  // namespace scaleup::sim
