// The closed set of outcomes a queue message can end with. Every message handled by the consumer
// ends with exactly one, counted per outcome: a spike of one reason is its own alertable signal
// (the tuist lesson: an infrastructure outage must never hide inside a generic "ignored").
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "core/runtime/probes.hpp"

namespace scaleup {

enum class MessageOutcome {
    // Acknowledged: the job is durably handled or provably needs no runner.
    runner_launched,          // instance launched and its JIT config stored
    already_served,           // the ledger shows a configured instance for this job (redelivery)
    duplicate_in_batch,       // another message of the batch carries the same job and succeeded
    job_not_queued,           // queued check: GitHub says the job is no longer queued
    no_matching_labels,       // no configured runner pool serves the job's labels
    not_organization,         // org-level runners, repository owned by a user
    dead_lettered_malformed,  // body not a valid job message; sent to the DLQ with the reason
    dead_lettered_permanent_error,  // e.g. installation suspended, fleet misconfigured; DLQ +
                                    // reason
    // Returned to the queue (batch item failure): the job still needs a runner.
    capacity_deferred,         // maximum runners reached; back after a delay
    fleet_capacity_retry,      // CreateFleet launched fewer instances than asked (retryable code)
    rate_limited_retry,        // GitHub rate limit; back when the limit resets
    github_error_retry,        // GitHub 5xx, network, token mint failure
    config_failed_retry,       // JIT config or config store failed; instance terminated
    ledger_error_retry,        // the ledger could not record or reserve
    dead_letter_failed_retry,  // the DLQ send failed, so the message is kept
    deadline_retry,            // the handler ran out of time before reaching this message
    unexpected_error_retry,    // a bug or an unclassified error: never acknowledged by default
};

inline constexpr std::array kAllMessageOutcomes{
    MessageOutcome::runner_launched,          MessageOutcome::already_served,
    MessageOutcome::duplicate_in_batch,       MessageOutcome::job_not_queued,
    MessageOutcome::no_matching_labels,       MessageOutcome::not_organization,
    MessageOutcome::dead_lettered_malformed,  MessageOutcome::dead_lettered_permanent_error,
    MessageOutcome::capacity_deferred,        MessageOutcome::fleet_capacity_retry,
    MessageOutcome::rate_limited_retry,       MessageOutcome::github_error_retry,
    MessageOutcome::config_failed_retry,      MessageOutcome::ledger_error_retry,
    MessageOutcome::dead_letter_failed_retry, MessageOutcome::deadline_retry,
    MessageOutcome::unexpected_error_retry,
};

std::string_view to_string(MessageOutcome outcome);
/// The coverage probe an outcome hits, if it ends a fault-handling path.
std::optional<Probe> probe_of(MessageOutcome outcome);
/// True when the message is deleted from the queue; false when it must come back.
bool is_acknowledged(MessageOutcome outcome);

}  // namespace scaleup
