// AckAfterDurabilityChecker: no queue message was acknowledged (deleted) before its job was durably
// handled. At the moment of each effective delete, one of these must already hold:
//   - the ledger had committed the job's configured instance (runner launched, or already served);
//   - GitHub no longer had the job queued (a runner took it, or it completed or was cancelled);
//   - the message's body (or its job) was in the dead-letter queue, with a reason;
//   - the job is refused on purpose (labels or owner type no pool serves).
// The seed incident acknowledged a whole batch after an unexpected 404: this is the check that
// catches that class of bug, whatever the code path.
#include <map>

#include <fmt/format.h>

#include "core/common/json_reader.hpp"
#include "core/consumer/job_message.hpp"
#include "sim/checkers/checker.hpp"
#include "sim/checkers/job_classification.hpp"

namespace scaleup::sim {

namespace {
template <typename Key>
void keep_earliest(std::map<Key, Instant>& earliest, const Key& key, Instant at) {
    const auto [it, inserted] = earliest.emplace(key, at);
    if (!inserted && at < it->second)
        it->second = at;
}

class AckAfterDurabilityChecker final : public Checker {
  public:
    std::string_view name() const override { return "ack_after_durability"; }

    CheckerResult check(const World& world, const JobClassification& jobs,
                        const CheckerSettings& settings) const override {
        std::map<std::int64_t, Instant> configured;
        for (const auto& tx : world.postgres().committed()) {
            if (tx.operation == "mark_configured")
                keep_earliest<std::int64_t>(configured, std::stoll(tx.key.str()), tx.at);
        }
        std::map<std::int64_t, Instant> dead_job;
        std::map<std::string_view, Instant> dead_body;
        const auto& letters = world.sqs().dead_letters();
        for (std::size_t i = 0; i < letters.size(); ++i) {
            keep_earliest<std::string_view>(dead_body, letters[i].body, letters[i].at);
            if (const auto job = jobs.dead_letter_jobs.at(i))
                keep_earliest(dead_job, *job, letters[i].at);
        }
        CheckerResult result{std::string(name()), true, "", {}};
        std::int64_t early = 0, checked = 0;
        for (const auto& ack : world.sqs().ack_log()) {
            if (!ack.effective)
                continue;
            ++checked;
            const auto* record = world.sqs().record(ack.message_id);
            if (record == nullptr)
                continue;
            const auto job = job_of(world, jobs, *record);
            if (durable(world, *record, job, ack.at, configured, dead_job, dead_body))
                continue;
            ++early;
            add_finding(
                result, settings,
                fmt::format("message {} deleted at {} before its job was handled: {}",
                            ack.message_id, format_instant(ack.at),
                            job ? describe_job(world, *job) : std::string("malformed body")));
        }
        result.passed = early == 0;
        result.summary = fmt::format("{} acknowledgements, {} before durability", checked, early);
        return result;
    }

  private:
    // The classification parsed every message body once; records() is where `record` lives.
    static std::optional<std::int64_t> job_of(const World& world, const JobClassification& jobs,
                                              const SimulatedSqs::MessageRecord& record) {
        const auto index = static_cast<std::size_t>(&record - world.sqs().records().data());
        return jobs.message_jobs.at(index);
    }

    static bool durable(const World& world, const SimulatedSqs::MessageRecord& record,
                        std::optional<std::int64_t> job_id, Instant at,
                        const std::map<std::int64_t, Instant>& configured,
                        const std::map<std::int64_t, Instant>& dead_job,
                        const std::map<std::string_view, Instant>& dead_body) {
        const auto before = [at](const auto& index, const auto& key) {
            const auto it = index.find(key);
            return it != index.end() && it->second <= at;
        };
        if (before(dead_body, record.body))
            return true;
        if (!job_id)
            return false;
        if (before(configured, *job_id) || before(dead_job, *job_id))
            return true;
        const auto* job = world.github().job(*job_id);
        if (job == nullptr)
            return false;
        if (!job_is_served(world, *job))
            return true;
        const auto left_queue = job->started_at ? job->started_at : job->completed_at;
        return left_queue && *left_queue <= at;
    }
};
}  // namespace

std::unique_ptr<Checker> make_ack_after_durability_checker() {
    return std::make_unique<AckAfterDurabilityChecker>();
}

}  // namespace scaleup::sim
