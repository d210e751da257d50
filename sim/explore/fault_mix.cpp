#include "sim/explore/fault_mix.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/runtime/random.hpp"

namespace scaleup::sim {

namespace {
using nlohmann::json;

// What the base allows the draws: the fault phase, the longest window, the owners, the fleet.
struct MixContext {
    std::int64_t phase = 0;                // seconds
    std::int64_t longest_window = 0;       // seconds
    std::int64_t orphan_grace = 0;         // seconds
    std::int64_t scale_down_interval = 0;  // seconds
    std::vector<std::string> owners;
    std::int64_t max_runners = 1;
};

// A window inside the fault phase: `min_length`..`max_length` seconds (never longer than the base
// allows), ending by the drain at the latest.
json window(Random& r, const MixContext& c, std::int64_t min_length, std::int64_t max_length) {
    const auto longest =
        std::max<std::int64_t>(1, std::min({max_length, c.longest_window, c.phase}));
    const auto length = r.between(std::min(min_length, longest), longest);
    return {{"start_seconds", r.between(0, c.phase - length)}, {"duration_seconds", length}};
}

// An outage of an API the orphan clean-up needs (GitHub's runner list, EC2's describe and
// terminate), short enough for a correct control plane to meet the orphan checker's deadline: the
// boot timeout, one scale-down interval and the grace. Sweeps tick every interval, so an outage
// that begins just before a tick is first seen over by the tick after it ends, up to an interval
// later, and that sweep needs time for its own work (its ledger read alone may take a quarter of
// the interval). The outage gets what is left of the grace: a whole grace (an earlier bound) was
// met only by a sweep that took no time at all.
json cleanup_outage(Random& r, const MixContext& c) {
    return window(r, c, 30, c.orphan_grace - c.scale_down_interval * 5 / 4);
}

json rate(Random& r, std::int64_t low, std::int64_t high) {
    return {{"percent", r.between(low, high)}};
}

json instant(Random& r, const MixContext& c) {
    return {{"at_seconds", r.between(0, c.phase - 1)}};
}

using Draw = json (*)(Random&, const MixContext&);

struct KindDraw {
    const char* kind;
    Draw draw;
};

struct FamilyDraws {
    const char* family;
    std::vector<KindDraw> kinds;
};

// The families and, per kind, its parameters in a bad hour of the real service.
const std::vector<FamilyDraws>& family_draws() {
    static const std::vector<FamilyDraws> families{
        {"github",
         {{"github_outage", [](Random& r, const MixContext& c) { return cleanup_outage(r, c); }},
          {"github_server_errors", [](Random& r, const MixContext&) { return rate(r, 1, 10); }},
          {"github_fresh_token_401", [](Random& r, const MixContext&) { return rate(r, 1, 10); }},
          {"github_identical_jwt_404",
           [](Random& r, const MixContext&) {
               return json{{"window_seconds", r.between(1, 3)}};
           }}}},
        {"github_limits",
         {{"github_primary_rate_limit",
           [](Random& r, const MixContext&) {
               return json{{"requests_per_hour", r.between(2000, 5000)},
                           {"registrations_per_hour", r.between(1000, 10000)}};
           }},
          {"github_secondary_rate_limit",
           [](Random& r, const MixContext&) {
               return json{{"points_per_minute", r.between(300, 900)},
                           {"max_concurrent", r.between(20, 100)},
                           {"retry_after_missing_percent", r.between(0, 50)}};
           }}}},
        {"intake",
         {{"intake_unreachable",
           [](Random& r, const MixContext& c) { return window(r, c, 60, 600); }}}},
        {"installations",
         {{"installation_suspended",
           [](Random& r, const MixContext& c) {
               // From the start. Suspended mid-run, an instance launched before the suspension
               // can no longer be judged by scale-down (the owner's runners cannot be listed, and
               // terminating blind could kill a running job), so a boot-failed one stays until
               // the installation is restored and no_orphans fails. The job side of a mid-run
               // suspension is covered: such a job counts `suspended`, not lost
               // (scenarios/installation-suspended-mid-run.json).
               json entry{{"at_seconds", 0}};
               entry["owner"] = c.owners.at(r.below(c.owners.size()));
               return entry;
           }}}},
        {"cancellations",
         {{"cancel_queued_jobs",
           [](Random& r, const MixContext& c) {
               auto entry = instant(r, c);
               entry["percent"] = r.between(5, 50);
               return entry;
           }}}},
        {"clock",
         {{"clock_skew",
           [](Random& r, const MixContext&) {
               return json{{"seconds", r.between(-45, 45)}};
           }}}},
        {"postgres",
         {{"postgres_ssl_disconnect",
           [](Random& r, const MixContext& c) { return window(r, c, 10, 300); }},
          {"postgres_stall", [](Random& r, const MixContext& c) { return window(r, c, 60, 600); }},
          {"postgres_outage", [](Random& r, const MixContext& c) { return window(r, c, 60, 600); }},
          {"postgres_slow_queries",
           [](Random& r, const MixContext& c) {
               // The catalogue slows every statement inside the window, and `percent` of them
               // for the whole run, the drain included: a background rate, kept low.
               auto entry = window(r, c, 60, 600);
               entry["percent"] = r.between(1, 10);
               return entry;
           }},
          {"postgres_serialization_failures",
           [](Random& r, const MixContext&) { return rate(r, 1, 5); }}}},
        {"ec2",
         {{"ec2_unavailable", [](Random& r, const MixContext& c) { return cleanup_outage(r, c); }},
          {"ec2_describe_unavailable", [](Random& r, const MixContext&) { return rate(r, 5, 60); }},
          {"ec2_lost_response", [](Random& r, const MixContext&) { return rate(r, 1, 10); }},
          {"ec2_throttling",
           [](Random& r, const MixContext&) {
               return json{{"burst", r.between(2, 5)}, {"refill_per_second", r.between(1, 2)}};
           }}}},
        {"ec2_capacity",
         {{"ec2_capacity",
           [](Random& r, const MixContext& c) {
               const bool unfulfillable = r.below(2) == 1;
               // Short of the fleet's maximum, never of the base load: capacity persists
               // through the drain, so a pool smaller than the load leaves a backlog no control
               // plane can clear within the liveness bound.
               return json{{"instances", r.between(c.max_runners * 3 / 4, c.max_runners)},
                           {"shortfall_code", unfulfillable ? "UnfulfillableCapacity"
                                                            : "InsufficientInstanceCapacity"}};
           }},
          {"ec2_capacity_outage",
           [](Random& r, const MixContext& c) { return window(r, c, 60, 600); }}}},
        {"ec2_instances",
         {{"ec2_boot_failure", [](Random& r, const MixContext&) { return rate(r, 1, 2); }},
          {"ec2_spot_interruption", [](Random& r, const MixContext&) { return rate(r, 1, 10); }}}},
        {"ssm",
         {{"ssm_throttling",
           [](Random& r, const MixContext&) {
               return json{{"requests_per_second", r.between(10, 40)}};
           }},
          {"ssm_errors", [](Random& r, const MixContext&) { return rate(r, 1, 10); }},
          {"ssm_outage", [](Random& r, const MixContext& c) { return window(r, c, 60, 600); }}}},
        {"sqs",
         {{"sqs_duplicates", [](Random& r, const MixContext&) { return rate(r, 1, 20); }},
          {"sqs_throttling", [](Random& r, const MixContext&) { return rate(r, 1, 10); }},
          {"sqs_empty_short_polls", [](Random& r, const MixContext&) { return rate(r, 5, 50); }},
          {"sqs_outage", [](Random& r, const MixContext& c) { return window(r, c, 60, 600); }}}},
        {"consumer",
         {{"consumer_crash", [](Random& r, const MixContext&) { return rate(r, 1, 20); }}}},
        // Last, so that adding it shifted no other family's draws (each family forks in order).
        {"client_defects",
         {{"ec2_unreadable_reply", [](Random& r, const MixContext&) { return rate(r, 1, 5); }}}},
    };
    return families;
}

std::int64_t whole_seconds(Duration d) {
    return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}

MixContext context_of(const Scenario& base) {
    MixContext c;
    c.phase = std::max<std::int64_t>(1, whole_seconds(base.world.run_for));
    c.orphan_grace = std::max<std::int64_t>(30, whole_seconds(base.settings.orphan_grace));
    c.scale_down_interval = whole_seconds(base.world.scale_down_interval);
    c.longest_window =
        std::max<std::int64_t>(1, whole_seconds(base.settings.liveness_bound) * 2 / 3);
    for (const auto& owner : base.world.workload.owners)
        c.owners.push_back(owner.name);
    c.max_runners = std::max(1, base.world.config.max_runners);
    return c;
}

// An outage window: a start and a duration, and no `percent` (slow queries inside a window are a
// degradation, not an outage).
bool is_outage_window(const json& entry) {
    return entry.contains("start_seconds") && entry.contains("duration_seconds") &&
           !entry.contains("percent");
}

// Seconds covered by the union of `windows` (start, end).
std::int64_t covered_seconds(std::vector<std::pair<std::int64_t, std::int64_t>> windows) {
    std::sort(windows.begin(), windows.end());
    std::int64_t covered = 0;
    std::int64_t reached = std::numeric_limits<std::int64_t>::min();
    for (const auto& [start, end] : windows) {
        const std::int64_t from = std::max(start, reached);
        if (end > from)
            covered += end - from;
        reached = std::max(reached, end);
    }
    return covered;
}

// Swarm: the family is on with probability 1/2; each of its kinds then with 1/2, at least one.
// A family's outage windows are one service's bad time: merged, they must fit the longest window,
// as one window must (a Postgres disconnect followed at once by a stall is one outage as long as
// both). A window that would make them longer is left out; the first always fits.
void draw_family(Random& r, const FamilyDraws& family, const MixContext& c, FaultMix& mix) {
    if (r.below(2) == 0)
        return;
    std::vector<bool> on(family.kinds.size());
    for (std::size_t i = 0; i < on.size(); ++i)
        on[i] = r.below(2) == 1;
    if (std::find(on.begin(), on.end(), true) == on.end())
        on[r.below(on.size())] = true;
    mix.families.push_back(family.family);
    std::vector<std::pair<std::int64_t, std::int64_t>> outages;
    for (std::size_t i = 0; i < on.size(); ++i) {
        if (!on[i])
            continue;
        json entry = family.kinds[i].draw(r, c);
        if (is_outage_window(entry)) {
            const auto start = entry["start_seconds"].get<std::int64_t>();
            outages.emplace_back(start, start + entry["duration_seconds"].get<std::int64_t>());
            if (covered_seconds(outages) > c.longest_window) {
                outages.pop_back();
                continue;
            }
        }
        entry["kind"] = family.kinds[i].kind;
        entry["note"] = fmt::format("scaleup explore: family {}", family.family);
        mix.faults.push_back(std::move(entry));
    }
}

// A suspended installation's job whose webhook never reached intake is invisible to every
// control plane (the API answers 403, GitHub never resends), and the checkers count it lost: the
// two families do not mix.
void drop_intake_if_suspended(FaultMix& mix) {
    const auto on = [&](const char* family) {
        return std::find(mix.families.begin(), mix.families.end(), family) != mix.families.end();
    };
    if (!on("installations") || !on("intake"))
        return;
    std::erase(mix.families, std::string("intake"));
    json kept = json::array();
    for (auto& entry : mix.faults) {
        if (entry["kind"] != "intake_unreachable")
            kept.push_back(std::move(entry));
    }
    mix.faults = std::move(kept);
}

// The control plane's own switches, drawn like families: each is on for half the seeds, unless
// the base scenario sets it. A deployment may run with either value, and a path only one of them
// takes (the queued check's "job no longer queued") is otherwise never explored.
constexpr const char* kSwarmSwitches[] = {"job_queued_check"};

void draw_switches(Random& r, const Scenario& base, FaultMix& mix) {
    const json* base_config = base.source.contains("config") ? &base.source["config"] : nullptr;
    for (const char* name : kSwarmSwitches) {
        const bool on = r.below(2) == 1;  // drawn even when the base decides: streams stay aligned
        if (base_config != nullptr && base_config->contains(name))
            continue;
        if (on)
            mix.config[name] = true;
    }
}

std::string value_text(const json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string short_key(std::string key) {
    const std::string suffix = "_seconds";
    if (key.size() > suffix.size() && key.ends_with(suffix))
        key.resize(key.size() - suffix.size());
    return key;
}
}  // namespace

const std::vector<FaultFamily>& fault_families() {
    static const std::vector<FaultFamily> families = [] {
        std::vector<FaultFamily> out;
        for (const auto& family : family_draws()) {
            FaultFamily f{family.family, {}};
            for (const auto& kind : family.kinds)
                f.kinds.push_back(kind.kind);
            out.push_back(std::move(f));
        }
        return out;
    }();
    return families;
}

FaultMix generate_fault_mix(const Scenario& base, std::uint64_t seed) {
    FaultMix mix;
    mix.seed = seed;
    const auto context = context_of(base);
    // Its own stream, apart from the world's (which the same seed also seeds); each family forks
    // its own, so one family's draws never shift another's.
    Random mix_random(seed ^ 0x5377'6172'6d4d'6978ULL);
    for (const auto& family : family_draws()) {
        Random family_random = mix_random.fork();
        draw_family(family_random, family, context, mix);
    }
    drop_intake_if_suspended(mix);
    Random switches_random = mix_random.fork();
    draw_switches(switches_random, base, mix);
    return mix;
}

nlohmann::json seed_document(const Scenario& base, const FaultMix& mix) {
    json doc = base.source;
    doc["name"] = fmt::format("{}-seed-{}", base.name, mix.seed);
    doc["seed"] = mix.seed;
    doc["description"] = fmt::format(
        "Generated by `scaleup explore` from the base scenario {} with seed {} ({}). The base: {}",
        base.name, mix.seed, mix.summary(), base.description);
    json faults = doc.contains("faults") ? doc["faults"] : json::array();
    for (const auto& entry : mix.faults)
        faults.push_back(entry);
    doc["faults"] = std::move(faults);
    if (!mix.config.empty()) {
        json config = doc.contains("config") ? doc["config"] : json::object();
        for (const auto& [key, value] : mix.config.items())
            config[key] = value;
        doc["config"] = std::move(config);
    }
    return doc;
}

std::string describe_faults(const nlohmann::json& faults) {
    std::vector<std::string> parts;
    for (const auto& entry : faults) {
        std::vector<std::string> fields;
        for (const auto& [key, value] : entry.items()) {
            if (key != "kind" && key != "note")
                fields.push_back(fmt::format("{}={}", short_key(key), value_text(value)));
        }
        parts.push_back(fmt::format("{}({})", value_text(entry.value("kind", json("?"))),
                                    fmt::join(fields, ",")));
    }
    return fmt::format("{}", fmt::join(parts, " "));
}

std::string FaultMix::summary() const {
    const auto faults_text = describe_faults(faults);
    std::vector<std::string> switches;
    for (const auto& [key, value] : config.items())
        switches.push_back(fmt::format("{}={}", key, value_text(value)));
    return fmt::format("families={}{}{} faults={}{}{}",
                       families.empty() ? "none" : fmt::format("{}", fmt::join(families, ",")),
                       switches.empty() ? "" : " config=", fmt::join(switches, ","), faults.size(),
                       faults_text.empty() ? "" : " ", faults_text);
}

}  // namespace scaleup::sim
