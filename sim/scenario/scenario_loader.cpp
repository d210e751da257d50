#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/common/json_reader.hpp"
#include "core/config/scale_up_config.hpp"
#include "sim/scenario/fault_catalog.hpp"
#include "sim/scenario/scenario.hpp"

namespace scaleup::sim {

namespace {

LatencyRange read_range(const JsonReader& parent, const std::string& key, LatencyRange fallback,
                        std::int64_t max_seconds) {
    if (!parent.has(key))
        return fallback;
    const JsonReader in = parent.object(key);
    const auto min = in.integer("min", 0, max_seconds);
    const auto max = in.integer("max", 0, max_seconds);
    in.reject_unknown_keys();
    if (min > max)
        throw InputError(parent.pointer_of(key) + "/min", "must not exceed max");
    return LatencyRange{seconds(min), seconds(max)};
}

void read_workload(const JsonReader& in, WorkloadOptions& w, Duration run_for) {
    if (in.has("owners")) {
        const auto& owners = in.raw("owners");
        if (!owners.is_array() || owners.empty()) {
            throw InputError(in.pointer_of("owners"), "expected a non-empty array of owners");
        }
        w.owners.clear();
        for (std::size_t i = 0; i < owners.size(); ++i) {
            const JsonReader o(owners[i], fmt::format("{}/{}", in.pointer_of("owners"), i));
            WorkloadOwner owner;
            owner.name = o.string("name");
            owner.repos = o.strings_or("repos", owner.repos);
            owner.weight = static_cast<std::uint64_t>(o.integer_or("weight", 1, 1, 1'000'000));
            owner.type = o.string_or("type", owner.type);
            if (owner.type != "Organization" && owner.type != "User") {
                throw InputError(o.pointer_of("type"), "expected \"Organization\" or \"User\"");
            }
            if (owner.repos.empty())
                throw InputError(o.pointer_of("repos"), "at least one repository");
            o.reject_unknown_keys();
            w.owners.push_back(std::move(owner));
        }
    }
    if (in.has("label_sets")) {
        const auto& sets = in.raw("label_sets");
        if (!sets.is_array() || sets.empty()) {
            throw InputError(in.pointer_of("label_sets"),
                             "expected a non-empty array of label arrays");
        }
        w.label_sets.clear();
        for (std::size_t i = 0; i < sets.size(); ++i) {
            nlohmann::json wrapper{{"labels", sets[i]}};
            const JsonReader l(wrapper, in.pointer_of("label_sets"));
            try {
                w.label_sets.push_back(l.strings("labels"));
            } catch (const InputError& e) {
                throw InputError(fmt::format("{}/{}", in.pointer_of("label_sets"), i), e.problem());
            }
        }
    }
    w.jobs_per_hour = in.integer_or("jobs_per_hour", w.jobs_per_hour, 0, 1'000'000);
    w.arrivals_until = in.seconds_or("arrivals_until_seconds", run_for, 0, kScenarioMaxSeconds);
    if (in.has("bursts")) {
        const auto& bursts = in.raw("bursts");
        if (!bursts.is_array())
            throw InputError(in.pointer_of("bursts"), "expected an array");
        for (std::size_t i = 0; i < bursts.size(); ++i) {
            const JsonReader b(bursts[i], fmt::format("{}/{}", in.pointer_of("bursts"), i));
            w.bursts.push_back({seconds(b.integer("at_seconds", 0, kScenarioMaxSeconds)),
                                static_cast<int>(b.integer("jobs", 1, 1'000'000))});
            b.reject_unknown_keys();
        }
    }
    const auto durations =
        read_range(in, "job_duration_seconds", LatencyRange{w.job_duration_min, w.job_duration_max},
                   kScenarioMaxSeconds);
    w.job_duration_min = durations.min;
    w.job_duration_max = durations.max;
    w.cancel_while_queued = Ratio::percent(
        static_cast<std::uint64_t>(in.integer_or("cancel_while_queued_percent", 0, 0, 100)));
    in.reject_unknown_keys();
}

void read_world(const JsonReader& in, WorldOptions& w) {
    w.consumers.consumers = static_cast<int>(in.integer_or("consumers", 2, 1, 1000));
    w.consumers.batching_window = in.seconds_or("batching_window_seconds", Duration{0}, 0, 300);
    w.consumers.long_poll_wait = in.seconds_or("long_poll_seconds", seconds(20), 1, 20);
    if (in.has("max_receive_count")) {
        w.sqs.max_receive_count = static_cast<int>(in.integer("max_receive_count", 1, 1000));
    }
    w.sqs.retention_period =
        in.seconds_or("retention_seconds", w.sqs.retention_period, 60, 14 * 86'400);
    w.ec2.pools.at(0).capacity =
        static_cast<int>(in.integer_or("ec2_capacity", w.ec2.pools.at(0).capacity, 0, 1'000'000));
    w.ec2.boot_time = read_range(in, "boot_seconds", w.ec2.boot_time, 3600);
    w.relay_interval = in.seconds_or("relay_interval_seconds", w.relay_interval, 1, 3600);
    w.reconcile_interval =
        in.seconds_or("reconcile_interval_seconds", w.reconcile_interval, 1, 86'400);
    w.sweep_interval = in.seconds_or("sweep_interval_seconds", w.sweep_interval, 1, 86'400);
    w.scale_down_interval =
        in.seconds_or("scale_down_interval_seconds", w.scale_down_interval, 1, 86'400);
    w.postgres.pool_size =
        static_cast<int>(in.integer_or("postgres_pool_size", w.postgres.pool_size, 1, 1000));
    w.postgres.checkout_timeout =
        in.seconds_or("postgres_checkout_timeout_seconds", w.postgres.checkout_timeout, 1, 600);
    in.reject_unknown_keys();
}

void read_expectations(const JsonReader& in, Scenario& s) {
    if (in.has("checkers")) {
        s.checkers = in.strings("checkers");
        const auto known = checker_names();
        for (std::size_t i = 0; i < s.checkers.size(); ++i) {
            if (std::find(known.begin(), known.end(), s.checkers[i]) == known.end()) {
                throw InputError(fmt::format("{}/{}", in.pointer_of("checkers"), i),
                                 fmt::format("unknown checker \"{}\"; expected one of: {}",
                                             s.checkers[i], fmt::join(known, ", ")));
            }
        }
    }
    s.settings.liveness_bound =
        in.seconds_or("liveness_bound_seconds", s.settings.liveness_bound, 1, kScenarioMaxSeconds);
    s.settings.max_dead_lettered = in.integer_or("max_dead_lettered", -1, -1, 1'000'000);
    in.reject_unknown_keys();
}

Scenario read_scenario(const nlohmann::json& document, const std::string& file) {
    const JsonReader in(document, "");
    Scenario s;
    s.file = file;
    s.source = document;
    (void)in.string_or("$schema", "");
    s.name = in.string("name");
    s.description = in.string("description");
    s.seed = static_cast<std::uint64_t>(in.integer_or("seed", 1, 0, INT64_MAX));
    s.world.seed = s.seed;
    s.world.run_for = seconds(in.integer("duration_seconds", 1, kScenarioMaxSeconds));
    s.world.drain = in.seconds_or("drain_seconds", minutes(30), 0, kScenarioMaxSeconds);
    if (in.has("config")) {
        try {
            s.world.config = ScaleUpConfig::from_json(in.raw("config").dump());
        } catch (const InputError& e) {
            throw InputError("/config" + e.pointer(), e.problem());
        }
    }
    if (in.has("workload"))
        read_workload(in.object("workload"), s.world.workload, s.world.run_for);
    if (!in.has("workload"))
        s.world.workload.arrivals_until = s.world.run_for;
    if (in.has("world"))
        read_world(in.object("world"), s.world);
    if (in.has("faults")) {
        const auto& faults = in.raw("faults");
        if (!faults.is_array())
            throw InputError("/faults", "expected an array of faults");
        for (std::size_t i = 0; i < faults.size(); ++i) {
            apply_fault(JsonReader(faults[i], fmt::format("/faults/{}", i)), s.world);
        }
    }
    if (in.has("expect"))
        read_expectations(in.object("expect"), s);
    if (s.checkers.empty())
        s.checkers = checker_names();
    in.reject_unknown_keys();
    return s;
}
}  // namespace

Scenario load_scenario(const nlohmann::json& document, const std::string& file) {
    try {
        return read_scenario(document, file);
    } catch (const InputError& e) {
        throw ScenarioError(fmt::format("{}: {}", file, e.what()));
    }
}

Scenario load_scenario_file(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw ScenarioError(fmt::format("{}: cannot open the file", path));
    std::stringstream text;
    text << in.rdbuf();
    try {
        return load_scenario(parse_json(text.str()), path);
    } catch (const InputError& e) {
        throw ScenarioError(fmt::format("{}: {}", path, e.what()));
    }
}

std::vector<std::string> expand_scenario_paths(const std::vector<std::string>& paths) {
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    for (const auto& path : paths) {
        std::error_code error;
        if (fs::is_directory(path, error)) {
            std::vector<std::string> found;
            for (const auto& entry : fs::directory_iterator(path)) {
                const auto p = entry.path();
                if (p.extension() == ".json" && p.filename() != "schema.json")
                    found.push_back(p.string());
            }
            std::sort(found.begin(), found.end());  // directory order is not deterministic
            out.insert(out.end(), found.begin(), found.end());
        } else if (fs::exists(path, error)) {
            out.push_back(path);
        } else {
            throw ScenarioError(fmt::format("{}: no such file or directory", path));
        }
    }
    return out;
}

std::vector<std::string> fault_kinds() {
    return known_fault_kinds();
}

}  // namespace scaleup::sim
