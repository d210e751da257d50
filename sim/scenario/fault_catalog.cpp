#include "sim/scenario/fault_catalog.hpp"

#include <functional>
#include <map>

#include <fmt/format.h>

namespace scaleup::sim {

namespace {

FaultWindow window_of(const JsonReader& f) {
    const auto start = f.integer("start_seconds", 0, kScenarioMaxSeconds);
    const auto length = f.integer("duration_seconds", 1, kScenarioMaxSeconds);
    const Instant epoch = kSimulationEpoch;
    return FaultWindow{epoch + seconds(start), epoch + seconds(start + length)};
}

Ratio percent_of(const JsonReader& f) {
    return Ratio::percent(static_cast<std::uint64_t>(f.integer("percent", 0, 100)));
}

Duration at_of(const JsonReader& f) {
    return seconds(f.integer("at_seconds", 0, kScenarioMaxSeconds));
}

std::size_t owner_index(const JsonReader& f, const WorldOptions& world) {
    const auto name = f.string("owner");
    for (std::size_t i = 0; i < world.workload.owners.size(); ++i) {
        if (world.workload.owners[i].name == name)
            return i;
    }
    throw InputError(f.pointer_of("owner"), fmt::format("no workload owner named \"{}\"", name));
}

using Apply = std::function<void(const JsonReader&, WorldOptions&)>;

const std::map<std::string, Apply>& catalogue() {
    static const std::map<std::string, Apply> kinds{
        // GitHub
        {"github_outage",
         [](const JsonReader& f, WorldOptions& w) { w.github.outages.push_back(window_of(f)); }},
        {"github_server_errors",
         [](const JsonReader& f, WorldOptions& w) { w.github.server_error = percent_of(f); }},
        {"github_fresh_token_401",
         [](const JsonReader& f, WorldOptions& w) {
             w.github.fresh_token_unauthorized = percent_of(f);
         }},
        {"github_identical_jwt_404",
         [](const JsonReader& f, WorldOptions& w) {
             w.github.identical_jwt_window = seconds(f.integer("window_seconds", 0, 3600));
         }},
        {"github_primary_rate_limit",
         [](const JsonReader& f, WorldOptions& w) {
             w.github.rate_limits.core_per_hour = f.integer("requests_per_hour", 1, 1'000'000);
             w.github.rate_limits.runner_registration_per_hour =
                 f.integer_or("registrations_per_hour",
                              w.github.rate_limits.runner_registration_per_hour, 1, 1'000'000);
         }},
        {"github_secondary_rate_limit",
         [](const JsonReader& f, WorldOptions& w) {
             auto& r = w.github.rate_limits;
             r.points_per_minute =
                 f.integer_or("points_per_minute", r.points_per_minute, 1, 1'000'000);
             r.max_concurrent =
                 static_cast<int>(f.integer_or("max_concurrent", r.max_concurrent, 1, 10'000));
             r.retry_after_missing = Ratio::percent(static_cast<std::uint64_t>(
                 f.integer_or("retry_after_missing_percent", 0, 0, 100)));
         }},
        {"intake_unreachable",
         [](const JsonReader& f, WorldOptions& w) {
             w.github.intake_unreachable.push_back(window_of(f));
         }},
        {"installation_suspended",
         [](const JsonReader& f, WorldOptions& w) {
             const auto owner = owner_index(f, w);
             w.timeline.push_back(
                 {at_of(f), fmt::format("suspend installation of {}", f.string("owner")),
                  [owner](World& world) {
                      world.github().suspend_installation(world.installations().at(owner));
                  }});
         }},
        {"cancel_queued_jobs",
         [](const JsonReader& f, WorldOptions& w) {
             const Ratio share = percent_of(f);
             w.timeline.push_back({at_of(f),
                                   fmt::format("users cancel {}% of queued jobs", share.numerator),
                                   [share](World& world) {
                                       std::vector<std::int64_t> queued;
                                       for (const auto& job : world.github().jobs()) {
                                           if (job.status == JobStatus::queued)
                                               queued.push_back(job.id);
                                       }
                                       for (const auto id : queued) {
                                           if (world.runtime().random().chance(share))
                                               world.github().cancel_job(id);
                                       }
                                   }});
         }},
        {"clock_skew",
         [](const JsonReader& f, WorldOptions& w) {
             w.core_clock_skew = seconds(f.integer("seconds", -86'400, 86'400));
         }},
        // Postgres
        {"postgres_ssl_disconnect",
         [](const JsonReader& f, WorldOptions& w) {
             w.postgres.ssl_disconnects.push_back(window_of(f));
         }},
        {"postgres_stall",
         [](const JsonReader& f, WorldOptions& w) { w.postgres.stalls.push_back(window_of(f)); }},
        {"postgres_outage",
         [](const JsonReader& f, WorldOptions& w) { w.postgres.outages.push_back(window_of(f)); }},
        {"postgres_slow_queries",
         [](const JsonReader& f, WorldOptions& w) {
             w.postgres.slow_query_windows.push_back(window_of(f));
             w.postgres.slow_query_rate =
                 Ratio::percent(static_cast<std::uint64_t>(f.integer_or("percent", 100, 0, 100)));
         }},
        {"postgres_serialization_failures",
         [](const JsonReader& f, WorldOptions& w) {
             w.postgres.serialization_failure_rate = percent_of(f);
         }},
        // EC2
        {"ec2_capacity",
         [](const JsonReader& f, WorldOptions& w) {
             w.ec2.pools.at(0).capacity = static_cast<int>(f.integer("instances", 0, 1'000'000));
             w.ec2.pools.at(0).shortfall_code =
                 f.string_or("shortfall_code", w.ec2.pools.at(0).shortfall_code);
         }},
        {"ec2_capacity_outage",
         [](const JsonReader& f, WorldOptions& w) {
             w.ec2.capacity_outages.push_back({std::nullopt, window_of(f)});
         }},
        {"ec2_unavailable",
         [](const JsonReader& f, WorldOptions& w) {
             w.ec2.unavailable_windows.push_back(window_of(f));
         }},
        {"ec2_describe_unavailable",
         [](const JsonReader& f, WorldOptions& w) {
             w.ec2.describe_unavailable_rate = percent_of(f);
         }},
        {"ec2_lost_response",
         [](const JsonReader& f, WorldOptions& w) { w.ec2.lost_response_rate = percent_of(f); }},
        {"ec2_unreadable_reply",
         [](const JsonReader& f, WorldOptions& w) { w.ec2.unreadable_reply_rate = percent_of(f); }},
        {"ec2_boot_failure",
         [](const JsonReader& f, WorldOptions& w) { w.ec2.boot_failure_rate = percent_of(f); }},
        {"ec2_spot_interruption",
         [](const JsonReader& f, WorldOptions& w) {
             w.ec2.spot_interruption_rate = percent_of(f);
         }},
        {"ec2_throttling",
         [](const JsonReader& f, WorldOptions& w) {
             w.ec2.create_bucket.capacity = f.integer("burst", 1, 1000);
             w.ec2.create_bucket.refill_per_second = f.integer("refill_per_second", 1, 1000);
         }},
        // SSM
        {"ssm_throttling",
         [](const JsonReader& f, WorldOptions& w) {
             const auto tps = f.integer("requests_per_second", 1, 10'000);
             w.ssm.throughput = TokenBucketOptions{tps, tps};
         }},
        {"ssm_errors",
         [](const JsonReader& f, WorldOptions& w) { w.ssm.error_rate = percent_of(f); }},
        {"ssm_outage",
         [](const JsonReader& f, WorldOptions& w) { w.ssm.outages.push_back(window_of(f)); }},
        // SQS and the consumers
        {"sqs_duplicates", [](const JsonReader& f,
                              WorldOptions& w) { w.sqs.duplicate_after_delete = percent_of(f); }},
        {"sqs_throttling",
         [](const JsonReader& f, WorldOptions& w) { w.sqs.throttling = percent_of(f); }},
        {"sqs_empty_short_polls",
         [](const JsonReader& f, WorldOptions& w) { w.sqs.short_poll_empty = percent_of(f); }},
        {"sqs_outage",
         [](const JsonReader& f, WorldOptions& w) { w.sqs.outages.push_back(window_of(f)); }},
        {"consumer_crash",
         [](const JsonReader& f, WorldOptions& w) { w.consumers.crash_rate = percent_of(f); }},
    };
    return kinds;
}
}  // namespace

std::vector<std::string> known_fault_kinds() {
    std::vector<std::string> out;
    for (const auto& [kind, apply] : catalogue())
        out.push_back(kind);
    return out;
}

void apply_fault(const JsonReader& fault, WorldOptions& world) {
    const auto kind = fault.string("kind");
    const auto it = catalogue().find(kind);
    if (it == catalogue().end()) {
        throw InputError(fault.pointer_of("kind"),
                         fmt::format("unknown fault kind \"{}\"; expected one of: {}", kind,
                                     fmt::join(known_fault_kinds(), ", ")));
    }
    (void)fault.string_or("note", "");  // free text for the reader
    it->second(fault, world);
    fault.reject_unknown_keys();
}

}  // namespace scaleup::sim
