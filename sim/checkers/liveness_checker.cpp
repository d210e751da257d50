// LivenessChecker: after the faults heal (the drain begins), every job still waiting is picked up
// within the scenario's bound. A job queued during the drain, or queued earlier and still waiting
// when it began, must start by max(queued_at, drain start) + bound. Jobs that ran earlier, were
// cancelled, dead-lettered or refused on purpose are not waiting. Safety says nothing was lost;
// liveness says the system recovered (TigerBeetle's healed-core phase, FoundationDB's quiescence).
#include <algorithm>

#include <fmt/format.h>

#include "sim/checkers/checker.hpp"
#include "sim/checkers/job_classification.hpp"

namespace scaleup::sim {

namespace {
class LivenessChecker final : public Checker {
  public:
    std::string_view name() const override { return "liveness"; }

    CheckerResult check(const World& world, const JobClassification& jobs,
                        const CheckerSettings& settings) const override {
        CheckerResult result{std::string(name()), true, "", {}};
        const Instant healed = world.drain_starts_at();
        std::int64_t late = 0, waited = 0;
        for (const auto& [id, view] : jobs.jobs) {
            const auto& job = *world.github().job(id);
            if (view.fate != JobFate::ran && view.fate != JobFate::stuck &&
                view.fate != JobFate::lost)
                continue;
            if (job.started_at && *job.started_at < healed)
                continue;  // picked up before the heal
            ++waited;
            const Instant due = std::max(job.queued_at, healed) + settings.liveness_bound;
            if (job.started_at && *job.started_at <= due)
                continue;
            if (!job.started_at && world.ends_at() < due)
                continue;  // its bound is past the run
            ++late;
            add_finding(result, settings,
                        fmt::format("{}: due by {}", describe_job(world, id), format_instant(due)));
        }
        result.passed = late == 0;
        result.summary = fmt::format("{} jobs waited after the heal; {} not picked up within {}",
                                     waited, late, format_duration(settings.liveness_bound));
        return result;
    }
};
}  // namespace

std::unique_ptr<Checker> make_liveness_checker() {
    return std::make_unique<LivenessChecker>();
}

}  // namespace scaleup::sim
