// NoOrphansChecker: every launched instance registered a runner, or was terminated within the boot
// timeout plus one scale-down interval (plus a grace for the termination itself); and none is left
// running at the end without a job beyond the idle timeout plus one scale-down interval. An orphan
// costs money and, worse, its slot: capacity the jobs behind it wait for (upstream #5131: 9 % of
// jobs stuck behind never-configured instances).
#include <algorithm>

#include <fmt/format.h>

#include "sim/checkers/checker.hpp"

namespace scaleup::sim {

namespace {
class NoOrphansChecker final : public Checker {
  public:
    std::string_view name() const override { return "no_orphans"; }

    CheckerResult check(const World& world, const JobClassification& /*jobs*/,
                        const CheckerSettings& settings) const override {
        CheckerResult result{std::string(name()), true, "", {}};
        // Scale-down measures the boot timeout from EC2's launch time on the core's clock: a core
        // clock behind EC2's (a `clock_skew` fault) sees every instance younger than it is.
        const Duration core_clock_behind = std::max(Duration{0}, -world.options().core_clock_skew);
        const Duration allowed = world.options().config.runner_boot_timeout +
                                 world.options().scale_down_interval + settings.orphan_grace +
                                 core_clock_behind;
        const Instant end = world.ends_at();
        // A registered runner whose job went elsewhere may idle for the idle timeout, then one
        // scale-down interval passes before it is deregistered and terminated.
        const Duration idle_allowed = world.options().config.runner_idle_timeout +
                                      world.options().scale_down_interval + settings.orphan_grace;
        std::int64_t orphans = 0;
        for (const InstanceRecord& instance : world.ec2().instances()) {
            const Instant due = instance.launched_at + allowed;
            const bool never_registered = instance.runner_id == 0;
            const Instant ended = instance.terminating_at.value_or(end);
            if (never_registered && ended > due) {
                ++orphans;
                add_finding(
                    result, settings,
                    fmt::format("instance {} launched {} never registered, {} (due by {})",
                                instance.id, format_instant(instance.launched_at),
                                instance.terminating_at
                                    ? "terminated " + format_instant(*instance.terminating_at)
                                    : std::string("still running at the end"),
                                format_instant(due)));
            } else if (!never_registered && instance.live() && instance.job_id == 0 &&
                       end > *instance.registered_at + idle_allowed) {
                ++orphans;
                add_finding(
                    result, settings,
                    fmt::format(
                        "instance {} launched {} registered runner {} but is idle at the end",
                        instance.id, format_instant(instance.launched_at), instance.runner_id));
            }
        }
        result.passed = orphans == 0;
        result.summary =
            fmt::format("{} instances launched, {} orphaned (allowed {} to register)",
                        world.ec2().instances().size(), orphans, format_duration(allowed));
        return result;
    }
};
}  // namespace

std::unique_ptr<Checker> make_no_orphans_checker() {
    return std::make_unique<NoOrphansChecker>();
}

}  // namespace scaleup::sim
