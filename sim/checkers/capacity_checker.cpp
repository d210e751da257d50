// CapacityChecker: the number of live (pending or running) instances never exceeded the configured
// maximum, at any instant, whatever the number of consumers racing (upstream #5062: a negative
// TotalTargetCapacity after the pool and scale-up overshot together).
#include <fmt/format.h>

#include "sim/checkers/checker.hpp"

namespace scaleup::sim {

namespace {
class CapacityChecker final : public Checker {
  public:
    std::string_view name() const override { return "capacity"; }

    CheckerResult check(const World& world, const JobClassification& /*jobs*/,
                        const CheckerSettings& settings) const override {
        CheckerResult result{std::string(name()), true, "", {}};
        const int maximum = world.options().config.max_runners;
        int over = 0;
        for (const auto& sample : world.ec2().live_history()) {
            if (sample.live <= maximum)
                continue;
            ++over;
            add_finding(result, settings,
                        fmt::format("{} live instances at {} (maximum {})", sample.live,
                                    format_instant(sample.at), maximum));
        }
        result.passed = over == 0;
        result.summary = fmt::format("max {} live instances seen, maximum {}; {} samples over",
                                     world.ec2().max_live_instances(), maximum, over);
        return result;
    }
};
}  // namespace

std::unique_ptr<Checker> make_capacity_checker() {
    return std::make_unique<CapacityChecker>();
}

}  // namespace scaleup::sim
