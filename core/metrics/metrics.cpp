#include "core/metrics/metrics.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include <fmt/format.h>

namespace scaleup {

namespace {
// A label set sorted by key, then value, in a fixed buffer: counters carry two labels at most
// today, and eight is far more than Prometheus advises.
struct SortedLabels {
    std::array<MetricLabel, 8> items;
    std::size_t size = 0;

    explicit SortedLabels(std::initializer_list<MetricLabel> labels) {
        if (labels.size() > items.size())
            throw std::invalid_argument("a metric with more than 8 labels");
        std::copy(labels.begin(), labels.end(), items.begin());
        size = labels.size();
        std::sort(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(size));
    }
    std::span<const MetricLabel> view() const { return {items.data(), size}; }
};
}  // namespace

void MetricsRegistry::increment(std::string_view name, std::initializer_list<MetricLabel> labels,
                                std::uint64_t by) {
    const SortedLabels sorted(labels);  // first: a refused label set must not create a family
    auto named = counters_.find(name);
    if (named == counters_.end())
        named = counters_.emplace(std::string(name), Family{}).first;
    const auto found = named->second.find(sorted.view());
    if (found != named->second.end()) {
        found->second += by;
        return;
    }
    MetricLabels copy;
    for (const auto& [key, value] : sorted.view())
        copy.emplace_back(key, value);
    named->second.emplace(std::move(copy), by);
}

const MetricsRegistry::Family* MetricsRegistry::family(std::string_view name) const {
    const auto found = counters_.find(name);
    return found == counters_.end() ? nullptr : &found->second;
}

std::uint64_t MetricsRegistry::value(std::string_view name,
                                     std::initializer_list<MetricLabel> labels) const {
    const Family* counters = family(name);
    if (counters == nullptr)
        return 0;
    const SortedLabels sorted(labels);
    const auto it = counters->find(sorted.view());
    return it == counters->end() ? 0 : it->second;
}

std::uint64_t MetricsRegistry::total(std::string_view name) const {
    const Family* counters = family(name);
    if (counters == nullptr)
        return 0;
    std::uint64_t sum = 0;
    for (const auto& [labels, count] : *counters)
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
