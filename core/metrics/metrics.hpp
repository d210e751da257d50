// MetricsRegistry: the outcome counters of every component, in one place.
//
// Counters only (what the control plane's alerts need), keyed by name and a sorted label set, kept
// in ordered maps so rendering is deterministic. Rendered in the Prometheus text format.
//
// An increment names its counter with views (`increment("x_total", {{"result", "ok"}})`) and
// allocates only the first time a label set is seen: every message, call and sweep counts
// something, and building a name string and a label vector per count was 6 % of a simulated
// hour's allocations. A counter already seen is found by a hash of its name and labels, checked
// against the counter's own: the two ordered-map searches (names share the `scaleup_` prefix)
// cost about 950 instructions an increment.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/lookup_table.hpp"

namespace scaleup {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;
using MetricLabel = std::pair<std::string_view, std::string_view>;

/// The counter of every call to GitHub, whichever component makes it.
inline constexpr const char* kGitHubCallsMetric = "scaleup_github_calls_total";

class MetricsRegistry {
  public:
    MetricsRegistry() = default;
    // A copy counts on its own: the index points into the maps' nodes, so a copy starts without
    // one and builds its own. A move takes the nodes, and the index with them.
    MetricsRegistry(const MetricsRegistry& other) : counters_(other.counters_) {}
    MetricsRegistry& operator=(const MetricsRegistry& other) {
        counters_ = other.counters_;
        index_ = {};
        return *this;
    }
    MetricsRegistry(MetricsRegistry&&) noexcept = default;
    MetricsRegistry& operator=(MetricsRegistry&&) noexcept = default;
    ~MetricsRegistry() = default;

    void increment(std::string_view name, std::initializer_list<MetricLabel> labels,
                   std::uint64_t by = 1);
    /// The counter of `name` and `labels`, created at zero if absent. The reference lasts as long
    /// as the registry, unless the registry is assigned to (its counters live in map nodes).
    std::uint64_t& counter(std::string_view name, std::span<const MetricLabel> labels);
    std::uint64_t value(std::string_view name, std::initializer_list<MetricLabel> labels) const;
    /// Sum over every label set of `name`.
    std::uint64_t total(std::string_view name) const;
    std::string render_prometheus() const;

  private:
    /// Label sets in the order of `MetricLabels`' own `<` (key, then value), comparable with a
    /// sorted span of views so a lookup needs no copy.
    struct LabelsLess {
        using is_transparent = void;
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            return std::lexicographical_compare(
                a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
                    const std::string_view xk = x.first, yk = y.first;
                    return xk != yk ? xk < yk : std::string_view(x.second) < y.second;
                });
        }
    };
    using Family = std::map<MetricLabels, std::uint64_t, LabelsLess>;

    /// Where a counter is, with views of its name and labels to check a hash hit against.
    /// Pointers into the maps' nodes, which never move.
    struct Located {
        std::uint64_t* value = nullptr;
        const std::string* name = nullptr;
        const MetricLabels* labels = nullptr;
        bool is(std::string_view n, std::span<const MetricLabel> l) const;
    };

    const Family* family(std::string_view name) const;
    /// The counter of `name` and `labels`, created at zero if absent.
    Located find_or_add(std::string_view name, std::span<const MetricLabel> labels);

    std::map<std::string, Family, std::less<>> counters_;
    // Hash of name and labels -> the counter first seen with it. Only looked up, never iterated
    // (rendering walks the ordered maps), so its order cannot reach any output. A colliding
    // counter is simply not indexed and takes the maps' path. One flat table: a node per counter
    // was a cache miss per increment.
    LookupTable<std::uint64_t, Located> index_;
};

/// One counter, a name and a fixed label set, found in its registry at its first count and then
/// by the pointer it keeps. Components count the same few things on every message and call, and
/// finding a counter by its name and labels (hashing, then comparing, every text) was 3 % of an
/// exploration seed. Like `MetricsRegistry::increment`, it creates its counter when it first
/// counts, so a counter nothing counted is not rendered. Its texts must outlive it (literals,
/// enumerator names); so must the registry, which must not be assigned to meanwhile.
class MetricCounter {
  public:
    static constexpr std::size_t kMaxLabels = 2;
    /// Precondition: at most kMaxLabels labels (std::invalid_argument otherwise).
    MetricCounter(MetricsRegistry& metrics, std::string_view name,
                  std::initializer_list<MetricLabel> labels);
    void increment(std::uint64_t by = 1) {
        if (value_ == nullptr)
            value_ = &find();
        *value_ += by;
    }

  private:
    std::uint64_t& find();

    MetricsRegistry* metrics_;
    std::string_view name_;
    std::array<MetricLabel, kMaxLabels> labels_{};
    std::size_t label_count_ = 0;
    std::uint64_t* value_ = nullptr;
};

/// A MetricCounter for each enumerator of `Enum`, under the label `label` whose value is the
/// enumerator's name (`to_string`): a message's outcome, a lookup's result. Each counter may carry
/// one more label, the same for all (`fixed`, e.g. which call; none when its key is empty). `all`
/// lists the enumerators in declaration order, from zero (checked: std::invalid_argument
/// otherwise); one past its end (added to the enumeration later, not to the list) is counted the
/// slow way.
template <typename Enum>
class EnumCounters {
  public:
    template <std::size_t N>
    EnumCounters(MetricsRegistry& metrics, std::string_view name, std::string_view label,
                 const std::array<Enum, N>& all, MetricLabel fixed = {})
        : metrics_(&metrics), name_(name), label_(label), fixed_(fixed) {
        counters_.reserve(N);
        for (std::size_t i = 0; i < N; ++i) {
            if (static_cast<std::size_t>(all[i]) != i)
                throw std::invalid_argument("EnumCounters: enumerators not listed from zero");
            const MetricLabel own{label, to_string(all[i])};
            if (fixed.first.empty())
                counters_.emplace_back(metrics, name, std::initializer_list<MetricLabel>{own});
            else
                counters_.emplace_back(metrics, name,
                                       std::initializer_list<MetricLabel>{own, fixed});
        }
    }
    void increment(Enum value) {
        const auto index = static_cast<std::size_t>(value);
        if (index < counters_.size())
            counters_[index].increment();
        else if (fixed_.first.empty())
            metrics_->increment(name_, {{label_, to_string(value)}});
        else
            metrics_->increment(name_, {{label_, to_string(value)}, fixed_});
    }

  private:
    MetricsRegistry* metrics_;
    std::string_view name_;
    std::string_view label_;
    MetricLabel fixed_;
    std::vector<MetricCounter> counters_;
};

}  // namespace scaleup
