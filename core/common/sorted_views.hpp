// SortedViews: a set of string views into strings that outlive it, kept as a sorted vector.
//
// Built once and then only asked `contains`: a scale-down sweep indexes the ids of every instance
// EC2 and the ledger reported, a few hundred a sweep. A hash set of them allocated a node (and,
// for owned ids, a string) per id each sweep, a twentieth of an exploration seed's allocations;
// this allocates one array.
#pragma once

#include <algorithm>
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
        for (const auto& item : items)
            views_.emplace_back(key(item));
        std::sort(views_.begin(), views_.end());
        views_.erase(std::unique(views_.begin(), views_.end()), views_.end());
    }

    bool contains(std::string_view key) const {
        return std::binary_search(views_.begin(), views_.end(), key);
    }
    std::size_t size() const { return views_.size(); }
    bool empty() const { return views_.empty(); }

  private:
    std::vector<std::string_view> views_;
};

}  // namespace scaleup
