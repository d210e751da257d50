// with_retries: one backend call under the core's retry rules.
//
// - Each try is bounded by `call_timeout` and by the time left before `deadline`; a try that times
//   out is an `unknown_outcome` error (the far side may have acted), which is retryable.
// - Non-retryable errors return at once.
// - Rate limits wait until `retry_at` (GitHub's reset), secondary limits until `retry_at` or the
//   configured default (60 s); everything else backs off exponentially with full jitter drawn from
//   the runtime's random source, so retries from many consumers spread out deterministically.
// - A wait that would end past `deadline` is not slept through: the error comes back with
//   `retry_at` set, and the caller returns the message with that visibility delay instead.
// - An unknown outcome is sticky: once a try may have acted, a later try that failed without
//   acting (throttled, unavailable) does not make the whole call's outcome known. The call then
//   fails as `unknown_outcome`, so a caller never releases what the first try may have created.
//
// `call` must return a port's Task directly (`[&] { return port.op(args); }`), not be a coroutine
// lambda: after a timeout the abandoned Task outlives this frame, and must not refer to it.
#pragma once

#include <algorithm>
#include <optional>

#include "core/common/result.hpp"
#include "core/config/scale_up_config.hpp"
#include "core/runtime/runtime.hpp"

namespace scaleup {

struct RetryRules {
    RetryBudget budget;
    Duration call_timeout = seconds(10);
    Duration secondary_rate_limit_default = seconds(60);
    Probe retried = Probe::aws_retry;  // the coverage probe a retry hits
};

/// The rules for AWS and ledger calls, and for GitHub calls, as the config sets them.
RetryRules aws_retry_rules(const ScaleUpConfig& config);
RetryRules github_retry_rules(const ScaleUpConfig& config);

/// How long to wait after the `attempt`-th failed try (1-based) before the next one.
Duration retry_wait(Runtime& rt, const ServiceError& error, int attempt, const RetryRules& rules);

/// Sets `retry_at` on a retryable error that has none: when the caller should try again.
ServiceError with_retry_time(ServiceError error, Instant at);

/// The error a call that gave up ends with: `last`, unless an earlier try's outcome was unknown.
ServiceError final_retry_error(ServiceError last, bool earlier_outcome_unknown);

template <typename T, typename Call>
Task<Result<T>> with_retries(Runtime& rt, RetryRules rules, Instant deadline, Call call) {
    bool outcome_unknown = false;
    for (int attempt = 1;; ++attempt) {
        const Duration left = deadline - rt.now();
        if (left <= Duration{0}) {
            co_return final_retry_error(make_error(ErrorKind::transient, "runtime", "deadline",
                                                   "no time left before the deadline", rt.now()),
                                        outcome_unknown);
        }
        // The try races its timer in this frame (with_timeout would add one per port call). A try
        // that loses runs on, owned by the runtime.
        std::optional<Result<T>> outcome;
        Task<Result<T>> attempt_task = call();
        const bool finished =
            co_await race(rt, attempt_task, rt.now() + std::min(rules.call_timeout, left));
        if (finished) {
            outcome.emplace(co_await std::move(attempt_task));
        } else {
            outcome.emplace(make_error(ErrorKind::unknown_outcome, "runtime", "timeout",
                                       "no answer within the call timeout"));
        }
        if (outcome->ok())
            co_return std::move(*outcome);
        if (!outcome->error().retryable())
            co_return final_retry_error(outcome->error(), outcome_unknown);
        outcome_unknown |= outcome->error().kind == ErrorKind::unknown_outcome;
        const Duration wait = retry_wait(rt, outcome->error(), attempt, rules);
        const Instant retry_at = rt.now() + wait;
        if (attempt >= rules.budget.attempts || retry_at > deadline) {
            co_return final_retry_error(with_retry_time(outcome->error(), retry_at),
                                        outcome_unknown);
        }
        rt.probes().hit(rules.retried);
        co_await rt.sleep(wait);
    }
}

}  // namespace scaleup
