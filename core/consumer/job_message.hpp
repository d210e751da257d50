// JobMessage: the body of a queue message, one queued workflow_job that wants a runner.
//
// Intake writes it (from a verified webhook, or the reconciler from GitHub's job list); the
// consumer reads it. Parsing is strict: a body that is not a valid JobMessage is dead-lettered with
// the InputError's words, never dropped and never retried forever.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/identifier.hpp"
#include "core/ports/github.hpp"

namespace scaleup {

struct JobMessage {
    std::int64_t job_id = 0;
    std::int64_t run_id = 0;
    std::string owner;                        // repository owner login
    std::string repo;                         // repository name
    std::string owner_type = "Organization";  // or "User"
    std::vector<std::string> labels;          // the job's runs-on labels
    std::int64_t installation_id = 0;         // from the webhook; 0 = resolve through the API
    Identifier delivery_guid;                 // X-GitHub-Delivery, when it came from a webhook
    int attempt = 0;                          // times re-sent by the reconciler

    /// Throws InputError naming the JSON pointer of the problem.
    static JobMessage parse(const std::string& body);
    std::string to_json() const;
};

/// Labels compared as GitHub does: case-insensitive, order and duplicates irrelevant.
std::vector<std::string> normalise_labels(std::vector<std::string> labels);

/// Whether the pool's runners (labels normalised) can take a job asking for `job_labels`: they
/// must have every label the job asks for.
bool pool_serves(const std::vector<std::string>& pool_labels,
                 const std::vector<std::string>& job_labels);

}  // namespace scaleup
