// NoJobLostChecker: every job GitHub queued ran, was cancelled by its user, was dead-lettered with
// its reason (visible, alarmed), was refused on purpose, or belongs to an installation suspended
// while it waited (reported, and beyond any control plane). Lost must be 0: a job that timed out in
// GitHub's queue, or is still queued with no message left anywhere, is the failure scaleup exists
// to prevent (seed incident 000). Dead-lettered jobs are bounded by the scenario when it says so.
#include <fmt/format.h>

#include "sim/checkers/checker.hpp"
#include "sim/checkers/job_classification.hpp"

namespace scaleup::sim {

namespace {
class NoJobLostChecker final : public Checker {
  public:
    std::string_view name() const override { return "no_job_lost"; }

    CheckerResult check(const World& world, const JobClassification& jobs,
                        const CheckerSettings& settings) const override {
        CheckerResult result{std::string(name()), true, "", {}};
        for (const auto& [id, view] : jobs.jobs) {
            if (view.fate == JobFate::lost) {
                add_finding(result, settings,
                            fmt::format("LOST {} ({} queue messages, none left)",
                                        describe_job(world, id), view.messages));
            } else if (view.fate == JobFate::suspended) {
                add_finding(result, settings,
                            fmt::format("suspended {}: its installation was suspended while it "
                                        "waited, and the reconciler reported the 403",
                                        describe_job(world, id)));
            } else if (view.fate == JobFate::dead_lettered) {
                add_finding(
                    result, settings,
                    fmt::format("dead-lettered {} at {}: {}", describe_job(world, id),
                                format_instant(*view.dead_lettered_at), view.dead_letter_reason));
            }
        }
        const auto lost = jobs.count(JobFate::lost);
        const auto dead = jobs.count(JobFate::dead_lettered);
        const bool dead_ok = settings.max_dead_lettered < 0 || dead <= settings.max_dead_lettered;
        result.passed = lost == 0 && dead_ok;
        result.summary = fmt::format(
            "{} queued: {} ran, {} cancelled, {} dead-lettered{}, {} not served, {} suspended, "
            "{} stuck, {} lost",
            jobs.jobs.size(), jobs.count(JobFate::ran), jobs.count(JobFate::cancelled), dead,
            dead_ok ? "" : fmt::format(" (at most {} allowed)", settings.max_dead_lettered),
            jobs.count(JobFate::not_served), jobs.count(JobFate::suspended),
            jobs.count(JobFate::stuck), lost);
        return result;
    }
};
}  // namespace

std::unique_ptr<Checker> make_no_job_lost_checker() {
    return std::make_unique<NoJobLostChecker>();
}

}  // namespace scaleup::sim
