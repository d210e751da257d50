#include "sim/explore/scenario_document.hpp"

#include <map>

namespace scaleup::sim {

namespace {
using Ordered = nlohmann::ordered_json;

const std::map<std::string, std::vector<std::string>>& key_orders() {
    static const std::map<std::string, std::vector<std::string>> orders{
        {"scenario",
         {"$schema", "name", "description", "seed", "duration_seconds", "drain_seconds", "config",
          "workload", "world", "faults", "expect"}},
        {"workload",
         {"owners", "label_sets", "jobs_per_hour", "arrivals_until_seconds", "bursts",
          "job_duration_seconds", "cancel_while_queued_percent"}},
        {"owner", {"name", "repos", "weight", "type"}},
        {"burst", {"at_seconds", "jobs"}},
        {"range", {"min", "max"}},
        {"world",
         {"consumers", "batching_window_seconds", "long_poll_seconds", "max_receive_count",
          "retention_seconds", "ec2_capacity", "boot_seconds", "relay_interval_seconds",
          "reconcile_interval_seconds", "sweep_interval_seconds", "scale_down_interval_seconds",
          "postgres_pool_size", "postgres_checkout_timeout_seconds"}},
        {"fault",
         {"kind", "note", "start_seconds", "duration_seconds", "percent", "at_seconds", "owner",
          "window_seconds", "seconds", "requests_per_hour", "registrations_per_hour",
          "points_per_minute", "max_concurrent", "retry_after_missing_percent", "instances",
          "shortfall_code", "burst", "refill_per_second", "requests_per_second"}},
        {"expect", {"checkers", "liveness_bound_seconds", "max_dead_lettered"}},
    };
    return orders;
}

/// Which kind of object sits under `key` of an object of kind `parent` ("" when unknown: kept
/// as it is, sorted).
std::string child_kind(const std::string& parent, const std::string& key) {
    static const std::map<std::pair<std::string, std::string>, std::string> children{
        {{"scenario", "workload"}, "workload"},
        {{"scenario", "world"}, "world"},
        {{"scenario", "faults"}, "fault"},
        {{"scenario", "expect"}, "expect"},
        {{"workload", "owners"}, "owner"},
        {{"workload", "bursts"}, "burst"},
        {{"workload", "job_duration_seconds"}, "range"},
        {{"world", "boot_seconds"}, "range"},
    };
    const auto it = children.find({parent, key});
    return it == children.end() ? "" : it->second;
}

Ordered ordered(const nlohmann::json& value, const std::string& kind);

Ordered ordered_object(const nlohmann::json& object, const std::string& kind) {
    Ordered out = Ordered::object();
    const auto orders = key_orders().find(kind);
    if (orders != key_orders().end()) {
        for (const auto& key : orders->second) {
            if (object.contains(key))
                out[key] = ordered(object.at(key), child_kind(kind, key));
        }
    }
    for (const auto& [key, value] : object.items()) {  // sorted: nlohmann::json is a std::map
        if (!out.contains(key))
            out[key] = ordered(value, child_kind(kind, key));
    }
    return out;
}

Ordered ordered(const nlohmann::json& value, const std::string& kind) {
    if (value.is_object())
        return ordered_object(value, kind);
    if (value.is_array()) {
        Ordered out = Ordered::array();
        for (const auto& element : value)
            out.push_back(ordered(element, kind));  // an array's elements share its kind
        return out;
    }
    return Ordered(value);  // a scalar
}
}  // namespace

std::string format_scenario_document(const nlohmann::json& document) {
    return ordered(document, "scenario").dump(2) + "\n";
}

const std::vector<std::string>& scenario_key_order(const std::string& object) {
    return key_orders().at(object);
}

}  // namespace scaleup::sim
