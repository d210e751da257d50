// The one counter of calls to GitHub, `scaleup_github_calls_total`, by call and outcome: every
// component that calls GitHub (the consumer's client, the reconciler and scale-down, the delivery
// sweeper) counts through here, so the labels mean the same everywhere.
#pragma once

#include <string_view>

#include "core/common/result.hpp"
#include "core/metrics/metrics.hpp"

namespace scaleup {

/// Counts one call: outcome "ok" when `error` is null, else the error's kind.
inline void count_github_call(MetricsRegistry& metrics, std::string_view call,
                              const ServiceError* error) {
    metrics.increment(kGitHubCallsMetric,
                      {{"call", call}, {"outcome", error ? to_string(error->kind) : "ok"}});
}

}  // namespace scaleup
