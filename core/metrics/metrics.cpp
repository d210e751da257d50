#include "core/metrics/metrics.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace scaleup {

MetricLabels MetricsRegistry::normalise(MetricLabels labels) {
    std::sort(labels.begin(), labels.end());
    return labels;
}

void MetricsRegistry::increment(const std::string& name, MetricLabels labels, std::uint64_t by) {
    counters_[name][normalise(std::move(labels))] += by;
}

std::uint64_t MetricsRegistry::value(const std::string& name, MetricLabels labels) const {
    const auto family = counters_.find(name);
    if (family == counters_.end())
        return 0;
    const auto it = family->second.find(normalise(std::move(labels)));
    return it == family->second.end() ? 0 : it->second;
}

std::uint64_t MetricsRegistry::total(const std::string& name) const {
    const auto family = counters_.find(name);
    if (family == counters_.end())
        return 0;
    std::uint64_t sum = 0;
    for (const auto& [labels, count] : family->second)
        sum += count;
    return sum;
}

std::string MetricsRegistry::render_prometheus() const {
    std::string out;
    for (const auto& [name, family] : counters_) {
        out += fmt::format("# TYPE {} counter\n", name);
        for (const auto& [labels, count] : family) {
            std::string rendered;
            for (const auto& [key, value] : labels) {
                rendered += fmt::format("{}{}=\"{}\"", rendered.empty() ? "" : ",", key, value);
            }
            out += rendered.empty() ? fmt::format("{} {}\n", name, count)
                                    : fmt::format("{}{{{}}} {}\n", name, rendered, count);
        }
    }
    return out;
}

}  // namespace scaleup
