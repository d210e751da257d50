// SortedViews: a set of string views into strings that outlive it, kept as a sorted vector.
//
// Built once and then only asked `contains`: a scale-down sweep indexes the ids of every instance
// EC2 and the ledger reported, a few hundred a sweep. A hash set of them allocated a node (and,
// for owned ids, a string) per id each sweep, a twentieth of an exploration seed's allocations;
// this allocates one array. Entries are sorted by the views' hashes, so a lookup is a binary search
// over integers and one comparison of text: a search over the texts compared ids that share
// their first characters at every step, and cost more than the hash set it replaced.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

namespace scaleup {

class SortedViews {
  public:
    SortedViews() = default;
    /// Views of `key(item)` for every item of `items`. The strings must outlive this set and
    /// stay where they are (moving the vector that holds them is fine; growing it is not).
    template <typename Range, typename Key>
    SortedViews(const Range& items, Key key) {
        views_.reserve(std::size(items));
        for (const auto& item : items) {
            const std::string_view view = key(item);
            views_.emplace_back(hash(view), view);
        }
        std::sort(views_.begin(), views_.end());
        views_.erase(std::unique(views_.begin(), views_.end()), views_.end());
    }

    bool contains(std::string_view key) const {
        const Entry wanted{hash(key), key};
        const auto at = std::lower_bound(views_.begin(), views_.end(), wanted);
        return at != views_.end() && *at == wanted;
    }
    std::size_t size() const { return views_.size(); }
    bool empty() const { return views_.empty(); }

  private:
    using Entry = std::pair<std::size_t, std::string_view>;
    static std::size_t hash(std::string_view view) { return std::hash<std::string_view>{}(view); }
    std::vector<Entry> views_;
};

}  // namespace scaleup
