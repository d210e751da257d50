// TokenHygieneChecker: no request reached GitHub with an expired installation token, and token
// mints per installation stay within a bound derived from the run length. One token serves
// (lifetime - refresh margin) of use, so a run of length T needs about T / that period mints; the
// bound is twice that plus 5, for re-mints after a 401 or a re-resolved installation. Without a
// cache the upstream Lambda minted per group per invocation: ~100 mints in seconds for one burst
// (#5132), exhausting installations (#3199).
#include <fmt/format.h>

#include "sim/checkers/checker.hpp"

namespace scaleup::sim {

namespace {
class TokenHygieneChecker final : public Checker {
  public:
    std::string_view name() const override { return "token_hygiene"; }

    CheckerResult check(const World& world, const JobClassification& /*jobs*/,
                        const CheckerSettings& settings) const override {
        CheckerResult result{std::string(name()), true, "", {}};
        std::int64_t expired = 0;
        for (const auto& request : world.github().requests()) {
            if (!request.token_expired)
                continue;
            ++expired;
            add_finding(result, settings,
                        fmt::format("request at {} used an expired token of installation {}",
                                    format_instant(request.at), request.installation_id));
        }
        const auto& config = world.options().config;
        const Duration useful = world.options().github.token_lifetime - config.token_refresh_margin;
        const Duration length = world.ends_at() - world.started_at();
        const auto periods =
            useful.count() > 0 ? (length.count() + useful.count() - 1) / useful.count() : 1;
        const auto bound = static_cast<std::size_t>(2 * periods + 5);
        std::int64_t over = 0;
        std::size_t most = 0;
        for (const auto& [id, installation] : world.github().installations()) {
            const auto mints = world.github().mint_count(id);
            most = std::max(most, mints);
            if (mints <= bound)
                continue;
            ++over;
            add_finding(result, settings,
                        fmt::format("installation {} ({}) minted {} tokens, bound {}", id,
                                    installation.account, mints, bound));
        }
        result.passed = expired == 0 && over == 0;
        result.summary = fmt::format(
            "{} requests with expired tokens; most mints for one installation {} (bound {})",
            expired, most, bound);
        return result;
    }
};
}  // namespace

std::unique_ptr<Checker> make_token_hygiene_checker() {
    return std::make_unique<TokenHygieneChecker>();
}

}  // namespace scaleup::sim
