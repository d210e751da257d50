#include "core/consumer/outcome.hpp"

namespace scaleup {

std::string_view to_string(MessageOutcome outcome) {
    switch (outcome) {
        case MessageOutcome::runner_launched:
            return "runner_launched";
        case MessageOutcome::already_served:
            return "already_served";
        case MessageOutcome::duplicate_in_batch:
            return "duplicate_in_batch";
        case MessageOutcome::job_not_queued:
            return "job_not_queued";
        case MessageOutcome::no_matching_labels:
            return "no_matching_labels";
        case MessageOutcome::not_organization:
            return "not_organization";
        case MessageOutcome::dead_lettered_malformed:
            return "dead_lettered_malformed";
        case MessageOutcome::dead_lettered_permanent_error:
            return "dead_lettered_permanent_error";
        case MessageOutcome::capacity_deferred:
            return "capacity_deferred";
        case MessageOutcome::fleet_capacity_retry:
            return "fleet_capacity_retry";
        case MessageOutcome::rate_limited_retry:
            return "rate_limited_retry";
        case MessageOutcome::github_error_retry:
            return "github_error_retry";
        case MessageOutcome::config_failed_retry:
            return "config_failed_retry";
        case MessageOutcome::ledger_error_retry:
            return "ledger_error_retry";
        case MessageOutcome::dead_letter_failed_retry:
            return "dead_letter_failed_retry";
        case MessageOutcome::deadline_retry:
            return "deadline_retry";
        case MessageOutcome::unexpected_error_retry:
            return "unexpected_error_retry";
    }
    return "unexpected_error_retry";
}

bool is_acknowledged(MessageOutcome outcome) {
    switch (outcome) {
        case MessageOutcome::runner_launched:
        case MessageOutcome::already_served:
        case MessageOutcome::duplicate_in_batch:
        case MessageOutcome::job_not_queued:
        case MessageOutcome::no_matching_labels:
        case MessageOutcome::not_organization:
        case MessageOutcome::dead_lettered_malformed:
        case MessageOutcome::dead_lettered_permanent_error:
            return true;
        default:
            return false;
    }
}

std::optional<Probe> probe_of(MessageOutcome outcome) {
    switch (outcome) {
        case MessageOutcome::already_served:
            return Probe::already_served;
        case MessageOutcome::duplicate_in_batch:
            return Probe::duplicate_in_batch;
        case MessageOutcome::job_not_queued:
            return Probe::job_not_queued;
        case MessageOutcome::dead_lettered_malformed:
        case MessageOutcome::dead_lettered_permanent_error:
            return Probe::dead_lettered;
        case MessageOutcome::capacity_deferred:
            return Probe::capacity_deferred;
        case MessageOutcome::ledger_error_retry:
            return Probe::ledger_error;
        case MessageOutcome::deadline_retry:
            return Probe::handler_deadline;
        case MessageOutcome::unexpected_error_retry:
            return Probe::unexpected_error;
        default:
            return std::nullopt;
    }
}

}  // namespace scaleup
