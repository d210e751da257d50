#include "core/metrics/metrics.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace scaleup {

namespace {
// A label set sorted by key, then value, in a fixed buffer: counters carry two labels at most
// today, and eight is far more than Prometheus advises.
struct SortedLabels {
    std::array<MetricLabel, 8> items;
    std::size_t size = 0;

    explicit SortedLabels(std::span<const MetricLabel> labels) {
        if (labels.size() > items.size())
            throw std::invalid_argument("a metric with more than 8 labels");
        std::copy(labels.begin(), labels.end(), items.begin());
        size = labels.size();
        std::sort(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(size));
    }
    std::span<const MetricLabel> view() const { return {items.data(), size}; }
};

// FNV-1a over 8-byte words, each text followed by its length so that ("ab","c") and ("a","bc")
// differ. Quality matters little: every hit is checked against the counter's own name and labels.
struct KeyHash {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    void word(std::uint64_t w) { h = (h ^ w) * 0x100000001b3ULL; }
    void text(std::string_view t) {
        std::size_t at = 0;
        for (; at + 8 <= t.size(); at += 8) {
            std::uint64_t w = 0;
            std::memcpy(&w, t.data() + at, 8);
            word(w);
        }
        std::uint64_t tail = 0;
        if (at < t.size())  // an empty view may have no data to copy from
            std::memcpy(&tail, t.data() + at, t.size() - at);
        word(tail);
        word(t.size());
    }
};

std::uint64_t key_hash(std::string_view name, std::span<const MetricLabel> labels) {
    KeyHash hash;
    hash.text(name);
    for (const auto& [key, value] : labels) {
        hash.text(key);
        hash.text(value);
    }
    return hash.h;
}
}  // namespace

bool MetricsRegistry::Located::is(std::string_view n, std::span<const MetricLabel> l) const {
    return *name == n && std::equal(labels->begin(), labels->end(), l.begin(), l.end(),
                                    [](const auto& mine, const MetricLabel& other) {
                                        return mine.first == other.first &&
                                               mine.second == other.second;
                                    });
}

MetricsRegistry::Located MetricsRegistry::find_or_add(std::string_view name,
                                                      std::span<const MetricLabel> labels) {
    auto named = counters_.find(name);
    if (named == counters_.end())
        named = counters_.emplace(std::string(name), Family{}).first;
    auto found = named->second.find(labels);
    if (found == named->second.end()) {
        MetricLabels copy;
        for (const auto& [key, value] : labels)
            copy.emplace_back(key, value);
        found = named->second.emplace(std::move(copy), 0).first;
    }
    return {&found->second, &named->first, &found->first};
}

void MetricsRegistry::increment(std::string_view name, std::initializer_list<MetricLabel> labels,
                                std::uint64_t by) {
    // first: a refused label set must not create a family
    const SortedLabels sorted({labels.begin(), labels.size()});
    const std::uint64_t key = key_hash(name, sorted.view());
    const Located* hit = index_.find(key);
    if (hit != nullptr && hit->is(name, sorted.view())) {
        *hit->value += by;
        return;
    }
    const Located counter = find_or_add(name, sorted.view());
    *counter.value += by;
    index_.try_emplace(key, counter);
}

std::uint64_t& MetricsRegistry::counter(std::string_view name,
                                        std::span<const MetricLabel> labels) {
    const SortedLabels sorted(labels);
    return *find_or_add(name, sorted.view()).value;
}

MetricCounter::MetricCounter(MetricsRegistry& metrics, std::string_view name,
                             std::initializer_list<MetricLabel> labels)
    : metrics_(&metrics), name_(name), label_count_(labels.size()) {
    if (labels.size() > kMaxLabels)
        throw std::invalid_argument("MetricCounter: more than two labels");
    std::copy(labels.begin(), labels.end(), labels_.begin());
}

std::uint64_t& MetricCounter::find() {
    return metrics_->counter(name_, {labels_.data(), label_count_});
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
    const SortedLabels sorted({labels.begin(), labels.size()});
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
