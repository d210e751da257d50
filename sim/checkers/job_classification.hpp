// JobClassification: what became of every job GitHub queued, Jepsen-style (total-queue: lost,
// recovered, ...), from the services' records alone.
//
//   ran            a runner picked it up (in progress or completed by a runner)
//   cancelled      its user cancelled it before any runner did
//   dead_lettered  its message is in the dead-letter queue, with a reason (visible, alarmed)
//   not_served     no configured pool serves its labels or owner type (refused on purpose)
//   suspended      its owner's installation was suspended while it waited and still is, and the
//                  control plane reported the 403 (an alarm): no runner can register for it, so
//                  no control plane can serve it (its runner may have taken another job first)
//   stuck          still queued at the end, but a message for it is still in the queue
//   lost           timed out in GitHub's queue, or still queued with no message left anywhere
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/world/world.hpp"

namespace scaleup::sim {

enum class JobFate { ran, cancelled, dead_lettered, not_served, suspended, stuck, lost };
const char* to_string(JobFate fate);

struct JobView {
    std::int64_t job_id = 0;
    JobFate fate = JobFate::lost;
    std::optional<Instant> dead_lettered_at;
    std::string dead_letter_reason;
    int messages = 0;  // queue messages that carried it
};

struct JobClassification {
    std::map<std::int64_t, JobView> jobs;
    std::map<JobFate, std::int64_t> counts;
    /// The job each queue message carried, by the message's place in `SimulatedSqs::records()`
    /// (nullopt for a malformed body): parsed once here, read by every checker that needs it.
    std::vector<std::optional<std::int64_t>> message_jobs;
    /// The same for every dead letter, by its place in `SimulatedSqs::dead_letters()`.
    std::vector<std::optional<std::int64_t>> dead_letter_jobs;
    std::int64_t count(JobFate fate) const {
        const auto it = counts.find(fate);
        return it == counts.end() ? 0 : it->second;
    }
};

JobClassification classify_jobs(const World& world);
/// The job a queue message body carries, or nullopt for a malformed body.
std::optional<std::int64_t> job_id_of_body(const std::string& body);
/// Whether the world's configuration serves this job at all (labels and owner type).
bool job_is_served(const World& world, const SimulatedGitHub::JobRecord& job);
/// Whether the job's owner is suspended at the end of the run and the control plane saw a 403.
bool job_owner_suspended(const World& world, const SimulatedGitHub::JobRecord& job);
/// "job 76773615871 acme/app queued 1767225700.1s [status ...]" for findings.
std::string describe_job(const World& world, std::int64_t job_id);

}  // namespace scaleup::sim
