#include "core/common/retry.hpp"

namespace scaleup {

RetryRules aws_retry_rules(const ScaleUpConfig& config) {
    return RetryRules{config.aws_retry, config.call_timeout, config.secondary_rate_limit_default};
}

RetryRules github_retry_rules(const ScaleUpConfig& config) {
    return RetryRules{config.github_retry, config.call_timeout, config.secondary_rate_limit_default,
                      Probe::github_retry};
}

Duration retry_wait(Runtime& rt, const ServiceError& error, int attempt, const RetryRules& rules) {
    if (error.kind == ErrorKind::rate_limited || error.kind == ErrorKind::secondary_rate_limited)
        SCALEUP_PROBE(rt, github_rate_limited);
    if (error.kind == ErrorKind::rate_limited && error.retry_at) {
        return std::max(Duration{0}, *error.retry_at - rt.now());
    }
    if (error.kind == ErrorKind::secondary_rate_limited) {
        if (error.retry_at)
            return std::max(Duration{0}, *error.retry_at - rt.now());
        return rules.secondary_rate_limit_default;
    }
    // Full jitter: uniform in [0, min(max, base * 2^(attempt-1))].
    Duration ceiling = rules.budget.base_backoff;
    for (int i = 1; i < attempt && ceiling < rules.budget.max_backoff; ++i)
        ceiling *= 2;
    ceiling = std::min(ceiling, rules.budget.max_backoff);
    return rt.random().between(Duration{0}, ceiling);
}

ServiceError with_retry_time(ServiceError error, Instant at) {
    if (!error.retry_at)
        error.retry_at = at;
    return error;
}

ServiceError final_retry_error(ServiceError last, bool earlier_outcome_unknown) {
    if (!earlier_outcome_unknown || last.kind == ErrorKind::unknown_outcome)
        return last;
    // The last try's own error stays readable; its kind no longer claims that nothing happened.
    last.message += " (an earlier try's outcome is unknown)";
    last.kind = ErrorKind::unknown_outcome;
    return last;
}

}  // namespace scaleup
