// SimulatedEc2's instances: launch, boot (or fail to), spot interruption, shutting-down and
// terminated, and the live-instance count the capacity checker reads. The fault model is stated in
// simulated_ec2.hpp.
//
// Each instance has a CancellationSource. Terminating it (whoever asks) cancels every wait of its
// lifecycle and of its agent, so nothing runs on an instance that no longer exists.
#include <stdexcept>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "core/common/format_text.hpp"
#include "sim/backends/simulated_ec2.hpp"

namespace scaleup::sim {

namespace {
const char* state_name(InstanceState state) {
    switch (state) {
        case InstanceState::pending:
            return "pending";
        case InstanceState::running:
            return "running";
        case InstanceState::shutting_down:
            return "shutting-down";
        case InstanceState::terminated:
            return "terminated";
        case InstanceState::stopped:
            return "stopped";
    }
    return "?";
}
}  // namespace

std::optional<std::size_t> SimulatedEc2::index_of(std::string_view id) const {
    // Exactly what start_instance mints; anything else (upper case, another width) is unknown.
    constexpr std::size_t kDigits = 17;
    if (id.size() != 2 + kDigits || !id.starts_with("i-"))
        return std::nullopt;
    std::uint64_t number = 0;
    for (const char c : id.substr(2)) {
        const bool digit = c >= '0' && c <= '9';
        if (!digit && !(c >= 'a' && c <= 'f'))
            return std::nullopt;
        number = number * 16 + static_cast<std::uint64_t>(digit ? c - '0' : c - 'a' + 10);
    }
    if (number == 0 || number > instances_.size())
        return std::nullopt;
    return static_cast<std::size_t>(number - 1);
}

std::size_t SimulatedEc2::known_index(std::string_view id) const {
    const auto index = index_of(id);
    if (!index)
        throw std::out_of_range(fmt::format(FMT_COMPILE("SimulatedEc2: no instance {}"), id));
    return *index;
}

InstanceRecord& SimulatedEc2::record(std::string_view id) {
    return instances_[known_index(id)];
}

CancellationToken SimulatedEc2::token(std::string_view id) {
    return lifecycles_[known_index(id)].token();
}

std::string SimulatedEc2::start_instance(std::size_t pool,
                                         std::shared_ptr<const InstanceTags> tags) {
    std::string id = format_text(FMT_COMPILE("i-{:017x}"), ++next_instance_);
    InstanceRecord instance;
    instance.id = id;
    instance.pool = pool;
    instance.tags = std::move(tags);
    instance.launched_at = rt_.now();
    instances_.push_back(std::move(instance));
    lifecycles_.emplace_back();
    ++pool_in_use_[pool];
    live_positions_.insert(instances_.size() - 1);
    count_live(+1);
    if (rt_.tracing()) {
        const auto& p = options_.pools[pool];
        rt_.tracef("ec2", "launch", FMT_COMPILE("instance={} type={} zone={}"), id, p.instance_type,
                   p.zone);
    }
    rt_.spawn(run_instance(id));
    return id;
}

Duration SimulatedEc2::draw_boot_time() {
    if (options_.boot_time_mean > Duration{0})
        return options_.boot_time.min + random_.exponential(options_.boot_time_mean);
    return options_.boot_time.draw(random_);
}

// pending -> running after the boot time; then either the agent starts, or (a boot failure) the
// instance just sits there running until someone terminates it.
Task<void> SimulatedEc2::run_instance(Identifier id) {
    const Duration boot = draw_boot_time();
    const bool boot_fails = random_.chance(options_.boot_failure_rate);
    const CancellationToken cancel = token(id);
    if (!co_await sleep(rt_, boot, cancel))
        co_return;
    InstanceRecord& instance = record(id);
    instance.state = InstanceState::running;
    instance.booted_at = rt_.now();
    instance.boot_failed = boot_fails;
    if (rt_.tracing()) {
        rt_.tracef("ec2", boot_fails ? "boot_failed" : "booted", FMT_COMPILE("instance={} boot={}"),
                   id, format_duration(boot));
    }
    if (options_.pools[instance.pool].spot && random_.chance(options_.spot_interruption_rate))
        rt_.spawn(run_spot_interruption(id));
    if (!boot_fails)
        co_await run_agent(id);
}

Task<void> SimulatedEc2::run_spot_interruption(Identifier id) {
    const Duration after = options_.spot_interruption_after.draw(random_);
    if (rt_.tracing()) {
        rt_.tracef("ec2", "spot_interruption_scheduled", FMT_COMPILE("instance={} after={}"), id,
                   format_duration(after));
    }
    const CancellationToken cancel = token(id);
    if (co_await sleep(rt_, after, cancel))
        interrupt_spot_instance(id);
}

void SimulatedEc2::interrupt_spot_instance(std::string_view id) {
    begin_termination(record(id), TerminatedBy::spot);
}

void SimulatedEc2::begin_termination(InstanceRecord& instance, TerminatedBy by) {
    if (!instance.live())
        return;  // shutting down or gone already: terminating again is a no-op
    const InstanceState was = instance.state;
    instance.state = InstanceState::shutting_down;
    instance.terminating_at = rt_.now();
    instance.terminated_by = by;
    const std::size_t index = known_index(instance.id);
    live_positions_.erase(index);
    count_live(-1);
    if (rt_.tracing()) {
        rt_.tracef("ec2", "terminating", FMT_COMPILE("instance={} by={} was={}"), instance.id,
                   to_string(by), state_name(was));
    }
    lifecycles_[index].cancel(rt_);
    // A registered runner that has not finished its job disappears with the machine.
    if (instance.runner_id != 0 && !instance.job_finished_at && !instance.runner_lost) {
        instance.runner_lost = true;
        if (rt_.tracing()) {
            rt_.tracef("ec2", "runner_lost", FMT_COMPILE("instance={} runner={} job={}"),
                       instance.id, instance.runner_id, instance.job_id);
        }
        runners_.runner_lost(instance.runner_id);
    }
    rt_.spawn(finish_shutdown(instance.id, options_.shutdown_time.draw(random_)));
}

Task<void> SimulatedEc2::finish_shutdown(Identifier id, Duration after) {
    co_await rt_.sleep(after);
    InstanceRecord& instance = record(id);
    instance.state = InstanceState::terminated;
    instance.terminated_at = rt_.now();
    --pool_in_use_[instance.pool];
    if (rt_.tracing())
        rt_.tracef("ec2", "terminated", FMT_COMPILE("instance={}"), id);
}

void SimulatedEc2::count_live(int delta) {
    live_ += delta;
    max_live_ = std::max(max_live_, live_);
    live_history_.push_back(LiveSample{rt_.now(), live_});
}

}  // namespace scaleup::sim
