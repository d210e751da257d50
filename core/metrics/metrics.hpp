// MetricsRegistry: the outcome counters of every component, in one place.
//
// Counters only (what the control plane's alerts need), keyed by name and a sorted label set, kept
// in ordered maps so rendering is deterministic. Rendered in the Prometheus text format.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace scaleup {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class MetricsRegistry {
  public:
    void increment(const std::string& name, MetricLabels labels, std::uint64_t by = 1);
    std::uint64_t value(const std::string& name, MetricLabels labels) const;
    /// Sum over every label set of `name`.
    std::uint64_t total(const std::string& name) const;
    std::string render_prometheus() const;

  private:
    static MetricLabels normalise(MetricLabels labels);
    std::map<std::string, std::map<MetricLabels, std::uint64_t>> counters_;
};

}  // namespace scaleup
