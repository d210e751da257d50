// TagSet: a handful of key -> value tags (an EC2 instance's), kept as one vector sorted by key.
//
// EC2 gives an instance a few tags (scale-up sets three) and DescribeInstances compares the wanted
// tags with every live instance's, sweep after sweep. In a std::map each tag was a node of its own,
// and a describe's filter walked two or three of them per instance: 2 % of a simulated day, and
// three allocations per launch. Here the tags sit side by side in one array, a short key or value
// (up to 15 characters) inside its pair.
//
// Read like a std::map<std::string, std::string>: iteration in key order, find, at, ==.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scaleup {

class TagSet {
  public:
    using Tag = std::pair<std::string, std::string>;
    using const_iterator = std::vector<Tag>::const_iterator;

    TagSet() = default;
    /// As a std::map's initializer list: a repeated key keeps its first value.
    TagSet(std::initializer_list<Tag> tags) {
        tags_.reserve(tags.size());
        for (const Tag& tag : tags) {
            const auto at = lower_bound(tag.first);
            if (at == tags_.end() || at->first != tag.first)
                tags_.insert(at, tag);
        }
    }

    const_iterator begin() const { return tags_.begin(); }
    const_iterator end() const { return tags_.end(); }
    std::size_t size() const { return tags_.size(); }
    bool empty() const { return tags_.empty(); }

    /// The tag `key`, or end().
    const_iterator find(std::string_view key) const {
        // A handful of tags: a scan, which stops at the first key not below `key`.
        for (auto it = tags_.begin(); it != tags_.end(); ++it) {
            const int order = std::string_view(it->first).compare(key);
            if (order == 0)
                return it;
            if (order > 0)
                break;
        }
        return tags_.end();
    }
    /// The value of `key`; throws std::out_of_range, as std::map::at does, when there is none.
    const std::string& at(std::string_view key) const {
        const auto it = find(key);
        if (it == tags_.end())
            throw std::out_of_range("TagSet::at: no such tag");
        return it->second;
    }
    /// Sets `key` to `value`, adding the tag or replacing its value.
    void insert_or_assign(std::string key, std::string value) {
        const auto at = lower_bound(key);
        if (at != tags_.end() && at->first == key)
            at->second = std::move(value);
        else
            tags_.insert(at, Tag{std::move(key), std::move(value)});
    }

    friend bool operator==(const TagSet& a, const TagSet& b) { return a.tags_ == b.tags_; }

  private:
    std::vector<Tag>::iterator lower_bound(std::string_view key) {
        return std::lower_bound(tags_.begin(), tags_.end(), key,
                                [](const Tag& tag, std::string_view k) { return tag.first < k; });
    }

    std::vector<Tag> tags_;  // sorted by key, keys unique
};

}  // namespace scaleup
