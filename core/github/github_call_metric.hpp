// The one counter of calls to GitHub, `scaleup_github_calls_total`, by call and outcome: every
// component that calls GitHub (the consumer's client, the reconciler and scale-down, the delivery
// sweeper) counts through here, so the labels mean the same everywhere.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"
#include "core/metrics/metrics.hpp"

namespace scaleup {

/// Counts one call: outcome "ok" when `error` is null, else the error's kind.
inline void count_github_call(MetricsRegistry& metrics, std::string_view call,
                              const ServiceError* error) {
    metrics.increment(kGitHubCallsMetric,
                      {{"call", call}, {"outcome", error ? to_string(error->kind) : "ok"}});
}

/// count_github_call for one call, with its counters kept (MetricCounter): the consumer's client
/// counts every job check and JIT config request.
class GitHubCallCounter {
  public:
    GitHubCallCounter(MetricsRegistry& metrics, std::string_view call)
        : metrics_(&metrics),
          call_(call),
          ok_(metrics, kGitHubCallsMetric, {{"call", call}, {"outcome", "ok"}}) {
        // ErrorKind's enumerators run from zero to `permanent`, the last today.
        for (std::size_t kind = 0; kind <= static_cast<std::size_t>(ErrorKind::permanent); ++kind) {
            by_kind_.emplace_back(
                metrics, kGitHubCallsMetric,
                std::initializer_list<MetricLabel>{
                    {"call", call}, {"outcome", to_string(static_cast<ErrorKind>(kind))}});
        }
    }
    /// Counts one call: outcome "ok" when `error` is null, else the error's kind.
    void count(const ServiceError* error) {
        if (error == nullptr) {
            ok_.increment();
            return;
        }
        const auto kind = static_cast<std::size_t>(error->kind);
        if (kind < by_kind_.size())
            by_kind_[kind].increment();
        else  // a kind added after `permanent`: counted the slow way
            count_github_call(*metrics_, call_, error);
    }

  private:
    MetricsRegistry* metrics_;
    std::string_view call_;  // a literal
    MetricCounter ok_;
    std::vector<MetricCounter> by_kind_;  // indexed by ErrorKind
};

}  // namespace scaleup
