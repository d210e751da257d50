// AccountedOutcomesChecker: every webhook delivery that reached intake, and every queue message a
// handler returned from, ended with exactly one outcome reason: the per-outcome
// counters add up to the deliveries and messages handled. A missing outcome is a silent path; a
// double one hides a bug. (tuist #10878: everything was "ignored", including an outage.)
#include <fmt/format.h>

#include "sim/checkers/checker.hpp"

namespace scaleup::sim {

namespace {
class AccountedOutcomesChecker final : public Checker {
  public:
    std::string_view name() const override { return "accounted_outcomes"; }

    CheckerResult check(const World& world, const JobClassification& /*jobs*/,
                        const CheckerSettings& settings) const override {
        CheckerResult result{std::string(name()), true, "", {}};
        const auto deliveries = world.intake_calls();
        const auto delivery_outcomes = world.metrics().total("scaleup_intake_deliveries_total");
        // Every handler that returned, whether or not Lambda still waited for it.
        const std::uint64_t messages = world.consumers().counters().messages_handled;
        const auto message_outcomes = world.metrics().total("scaleup_consumer_messages_total");
        if (deliveries != delivery_outcomes) {
            add_finding(result, settings,
                        fmt::format("intake handled {} deliveries but counted {} outcomes",
                                    deliveries, delivery_outcomes));
        }
        if (messages != message_outcomes) {
            add_finding(result, settings,
                        fmt::format("handlers finished {} messages but counted {} outcomes",
                                    messages, message_outcomes));
        }
        result.passed = deliveries == delivery_outcomes && messages == message_outcomes;
        result.summary = fmt::format("deliveries {} / outcomes {}; messages {} / outcomes {}",
                                     deliveries, delivery_outcomes, messages, message_outcomes);
        return result;
    }
};
}  // namespace

std::unique_ptr<Checker> make_accounted_outcomes_checker() {
    return std::make_unique<AccountedOutcomesChecker>();
}

}  // namespace scaleup::sim
