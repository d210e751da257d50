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

    /// Throws InputError naming the field.
    static ScaleUpConfig from_json(const std::string& text);
    /// Checks the cross-field rules; throws InputError.
    void validate() const;
};

}  // namespace scaleup
