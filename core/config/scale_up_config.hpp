// ScaleUpConfig: every setting of the consumer, one struct, loaded from JSON with documented
// defaults (docs/core.md lists them). Unknown keys are errors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/runtime/time.hpp"

namespace scaleup {

struct RetryBudget {
    int attempts = 3;                    // tries per call, including the first
    Duration base_backoff = seconds(1);  // full-jitter exponential: up to base * 2^(try-1)
    Duration max_backoff = seconds(20);
};

struct ScaleUpConfig {
    std::string app_id = "1";                    // the GitHub App's id (JWT issuer)
    int batch_size = 10;                         // messages per batch (1-10, SQS's limit)
    int max_runners = 3;                         // live runners at most, across all consumers
    Duration handler_timeout = seconds(30);      // the function timeout: the batch must end by then
    Duration deadline_margin = seconds(3);       // stop starting work this long before the deadline
    Duration visibility_timeout = seconds(180);  // queue's; AWS advises 6x the function timeout
    Duration call_timeout = seconds(10);         // one backend call at most
    Duration token_refresh_margin = minutes(5);  // re-mint this long before a token expires
    Duration fresh_token_window = seconds(5);    // a 401 this soon after minting is replication lag
    Duration secondary_rate_limit_default = seconds(60);  // when GitHub sends no retry-after
    Duration capacity_retry_delay = seconds(30);          // first delay of a deferred message
    Duration max_retry_delay = minutes(15);               // longest visibility delay we set
    Duration reservation_lease = minutes(5);              // unbound slot reservations expire
    RetryBudget github_retry;
    RetryBudget aws_retry{5, milliseconds(200), seconds(10)};
    std::vector<std::string> runner_labels{"self-hosted", "linux", "x64"};  // the pool's labels
    bool org_runners = true;        // runners per organization (else per repository)
    bool ephemeral = true;          // one job per runner (JIT config)
    bool job_queued_check = false;  // GET the job first (upstream's default for ephemeral)
    std::string runner_name_prefix = "scaleup-";
    std::int64_t runner_group_id = 1;
    std::vector<std::string> fleet_retryable_errors{"InsufficientInstanceCapacity",
                                                    "UnfulfillableCapacity",
                                                    "MaxSpotInstanceCountExceeded",
                                                    "RequestLimitExceeded",
                                                    "Unavailable",
                                                    "InternalError",
                                                    "InsufficientFreeAddressesInSubnet"};

    // ---- reconciliation, scale-down and the delivery sweeper (docs/core.md) -----------------
    Duration sweeper_lookback = minutes(15);                  // failed deliveries this recent
    int sweeper_max_redeliveries_per_run = 50;                // redeliveries per sweep at most
    Duration sweeper_redelivery_spacing = milliseconds(200);  // between two redeliveries
    bool sweeper_queued_only = true;                          // only `workflow_job` action `queued`
    std::vector<std::string> reconcile_owners;                // "org" or "owner/repo"
    Duration reconcile_min_queued_age = minutes(3);       // younger jobs have their message coming
    Duration reconcile_inflight_window = minutes(10);     // an enqueue this recent is in flight
    int reconcile_max_requeues_per_run = 100;             // requeues per reconcile run at most
    Duration runner_boot_timeout = minutes(5);            // a runner not online by then: orphan
    Duration runner_idle_timeout = minutes(10);           // online, no job this long: deregistered
    Duration scale_down_pressure_interval = seconds(15);  // sweep period while capacity is short
    Duration runner_idle_timeout_under_pressure = seconds(60);  // idle this long while short: gone

    // ---- webhook intake (docs/intake.md) ------------------------------------------------------
    std::string webhook_secret;           // X-Hub-Signature-256 key; empty: all deliveries 401
    Duration intake_budget = seconds(8);  // answer within this; GitHub gives up after 10 s

    /// Throws InputError naming the field.
    static ScaleUpConfig from_json(const std::string& text);
    /// Checks the cross-field rules; throws InputError.
    void validate() const;
};

}  // namespace scaleup
