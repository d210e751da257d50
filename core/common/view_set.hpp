// ViewSet: a set of string views into strings that outlive it, built once, then only searched.
//
// A scale-down sweep indexes the ids of every instance EC2 and the ledger reported, a few hundred
// a sweep, and then asks for each id it holds whether the other side has it. A node-based hash set
// allocated a node (and, for owned ids, a string) per id each sweep; a vector sorted by hash
// allocated once but sorted at every sweep and paid a binary search of mispredicted branches per
// question: with the sort, 4 % of a simulated day. This is one array of slots at most half full,
// probed linearly from the key's hash: a question reads one or two slots.
//
// It has no begin() or end(): where an id sits depends on std::hash, which differs between
// standard libraries, so nothing may depend on the order.
#pragma once

#include <bit>
#include <cstddef>
#include <functional>
#include <iterator>
#include <string_view>
#include <vector>

namespace scaleup {

class ViewSet {
  public:
    ViewSet() = default;
    /// Views of `key(item)` for every item of `items`. The strings must outlive this set and
    /// stay where they are (moving the vector that holds them is fine; growing it is not).
    template <typename Range, typename Key>
    ViewSet(const Range& items, Key key) {
        slots_.resize(std::bit_ceil(2 * std::size(items) + 2));
        for (const auto& item : items)
            insert(key(item));
    }

    bool contains(std::string_view key) const {
        if (slots_.empty())
            return false;
        const std::size_t hash = hash_of(key);
        for (std::size_t at = hash & mask();; at = (at + 1) & mask()) {
            const Slot& slot = slots_[at];
            if (!slot.used)
                return false;
            if (slot.hash == hash && slot.view == key)
                return true;
        }
    }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

  private:
    struct Slot {
        std::string_view view;
        std::size_t hash = 0;
        bool used = false;
    };
    static std::size_t hash_of(std::string_view view) {
        return std::hash<std::string_view>{}(view);
    }
    std::size_t mask() const { return slots_.size() - 1; }
    /// Precondition: a free slot is left (the constructor sizes the array for every item).
    void insert(std::string_view view) {
        const std::size_t hash = hash_of(view);
        for (std::size_t at = hash & mask();; at = (at + 1) & mask()) {
            Slot& slot = slots_[at];
            if (!slot.used) {
                slot = Slot{view, hash, true};
                ++size_;
                return;
            }
            if (slot.hash == hash && slot.view == view)
                return;  // a repeated id
        }
    }

    std::vector<Slot> slots_;  // empty, or a power of two of them
    std::size_t size_ = 0;
};

}  // namespace scaleup
