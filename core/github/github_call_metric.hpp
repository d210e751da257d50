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

/// count_github_call for one call, with its counters kept (MetricCounter, EnumCounters): the
/// consumer's client counts every job check and JIT config request.
class GitHubCallCounter {
  public:
    GitHubCallCounter(MetricsRegistry& metrics, std::string_view call)
        : ok_(metrics, kGitHubCallsMetric, {{"call", call}, {"outcome", "ok"}}),
          errors_(metrics, kGitHubCallsMetric, "outcome", kAllErrorKinds, {"call", call}) {}
    /// Counts one call: outcome "ok" when `error` is null, else the error's kind.
    void count(const ServiceError* error) {
        if (error == nullptr)
            ok_.increment();
        else
            errors_.increment(error->kind);
    }

  private:
    MetricCounter ok_;
    EnumCounters<ErrorKind> errors_;
};

}  // namespace scaleup
