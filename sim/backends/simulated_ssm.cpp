// SimulatedSsm: PutParameter / GetParameter with throttling, the 4 KB limit and eventual
// visibility. The fault model is stated in simulated_ssm.hpp.
#include "sim/backends/simulated_ssm.hpp"

#include <fmt/format.h>

namespace scaleup::sim {

SimulatedSsm::SimulatedSsm(Runtime& rt, Options options)
    : rt_(rt),
      options_(std::move(options)),
      random_(rt.random().fork()),
      bucket_(options_.throughput) {}

std::optional<ServiceError> SimulatedSsm::admission_error(const char* operation,
                                                          std::string_view instance_id) {
    const auto fail = [&](ErrorKind kind, const char* code, const char* message) {
        if (rt_.tracing()) {
            rt_.tracef("ssm", "error", FMT_COMPILE("op={} instance={} code={}"), operation,
                       instance_id, code);
        }
        return make_error(kind, "ssm", code, message);
    };
    if (any_active(options_.outages, rt_.now())) {
        ++counters_.internal_errors;
        return fail(ErrorKind::transient, "InternalServerError",
                    "An error occurred on the server side.");
    }
    if (!bucket_.try_take(rt_.now())) {
        ++counters_.throttled;
        return fail(ErrorKind::throttled, "ThrottlingException", "Rate exceeded");
    }
    if (random_.chance(options_.error_rate)) {
        ++counters_.internal_errors;
        return fail(ErrorKind::transient, "InternalServerError",
                    "An error occurred on the server side.");
    }
    return std::nullopt;
}

Task<Status> SimulatedSsm::put_runner_config(std::string instance_id, std::string config) {
    co_await rt_.sleep(options_.latency.draw(random_));
    PutRecord record{instance_id, rt_.now(), config.size(), false, {}};
    if (auto error = admission_error("put", instance_id)) {
        record.error_code = error->code;
        puts_.push_back(record);
        co_return *error;
    }
    if (config.size() > options_.max_value_bytes) {
        ++counters_.validation_errors;
        record.error_code = "ValidationException";
        puts_.push_back(record);
        if (rt_.tracing()) {
            rt_.tracef("ssm", "error",
                       FMT_COMPILE("op=put instance={} code=ValidationException bytes={}"),
                       instance_id, config.size());
        }
        co_return make_error(ErrorKind::invalid, "ssm", "ValidationException",
                             fmt::format("Standard tier parameters support a maximum parameter "
                                         "value of {} characters. To create a larger parameter "
                                         "value, upgrade the parameter to use the advanced-"
                                         "parameter tier.",
                                         options_.max_value_bytes));
    }
    const Instant visible_at = rt_.now() + options_.visibility_delay.draw(random_);
    parameters_[instance_id].push_back(Version{std::move(config), visible_at});
    record.stored = true;
    puts_.push_back(record);
    ++counters_.puts_stored;
    if (rt_.tracing()) {
        rt_.tracef("ssm", "put", FMT_COMPILE("instance={} bytes={} visible_at={}"), instance_id,
                   record.bytes, format_instant(visible_at));
    }
    co_return ok_status();
}

Task<Result<std::optional<std::string>>> SimulatedSsm::read_runner_config(Identifier instance_id) {
    co_await rt_.sleep(options_.latency.draw(random_));
    if (auto error = admission_error("get", instance_id))
        co_return *error;
    ++counters_.reads;
    std::optional<std::string> value = visible_value(instance_id);
    if (value)
        ++counters_.reads_found;
    if (rt_.tracing()) {
        rt_.tracef("ssm", "get", FMT_COMPILE("instance={} found={}"), instance_id,
                   value ? "true" : "false");
    }
    co_return value;
}

std::optional<std::string> SimulatedSsm::visible_value(const Identifier& instance_id) const {
    const std::vector<Version>* versions = parameters_.find(instance_id);
    if (versions == nullptr)
        return std::nullopt;
    // The newest put whose replication has finished; older ones stay readable until then.
    for (auto v = versions->rbegin(); v != versions->rend(); ++v) {
        if (v->visible_at <= rt_.now())
            return v->value;
    }
    return std::nullopt;
}

std::vector<SimulatedSsm::PutRecord> SimulatedSsm::puts_for(const std::string& instance_id) const {
    std::vector<PutRecord> out;
    for (const auto& p : puts_) {
        if (p.instance_id == instance_id)
            out.push_back(p);
    }
    return out;
}

}  // namespace scaleup::sim
