#pragma once
// A hashed table that can be searched but not walked.
//
// Simulations must not depend on the iteration order of unordered containers (it differs between
// standard libraries, so a trace would differ between a g++ and a clang build). Ordered maps keyed
// by strings are the safe default, but a table that grows all run long (every delivery GUID of a
// simulated day, every reservation, every launch token) pays a string compare per tree level on
// each lookup. LookupTable keeps the hashed speed and makes the order question moot: it has no
// begin() or end(), so nothing can read its order. Whatever must be listed in order keeps its own
// ordered index. The one walk allowed is erase_if, whose result does not depend on the order as
// long as its predicate only reads the entry it is given.
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace scaleup {

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class LookupTable {
  public:
    Value* find(const Key& key) {
        const auto it = map_.find(key);
        return it == map_.end() ? nullptr : &it->second;
    }
    const Value* find(const Key& key) const {
        const auto it = map_.find(key);
        return it == map_.end() ? nullptr : &it->second;
    }
    bool contains(const Key& key) const { return map_.find(key) != map_.end(); }

    /// The value under `key`; throws std::out_of_range, as std::map::at does, when there is none.
    Value& at(const Key& key) {
        if (Value* value = find(key))
            return *value;
        throw std::out_of_range("LookupTable::at: no such key");
    }
    const Value& at(const Key& key) const {
        if (const Value* value = find(key))
            return *value;
        throw std::out_of_range("LookupTable::at: no such key");
    }

    /// Inserts `Value(args...)` unless `key` is present; returns the value under `key` and whether
    /// it was inserted now.
    template <typename... Args>
    std::pair<Value&, bool> try_emplace(const Key& key, Args&&... args) {
        auto [it, inserted] = map_.try_emplace(key, std::forward<Args>(args)...);
        return {it->second, inserted};
    }
    /// The value under `key`, default-constructed if absent.
    Value& operator[](const Key& key) { return map_[key]; }
    /// Removes `key`; returns whether it was present.
    bool erase(const Key& key) { return map_.erase(key) > 0; }
    /// Removes every entry for which `doomed(key, value)` is true. The entries are offered in no
    /// particular order, so `doomed` must decide from the entry alone and change nothing.
    template <typename Predicate>
    void erase_if(Predicate doomed) {
        std::erase_if(map_, [&](const auto& entry) {
            return doomed(std::as_const(entry.first), std::as_const(entry.second));
        });
    }

    std::size_t size() const { return map_.size(); }
    bool empty() const { return map_.empty(); }

  private:
    std::unordered_map<Key, Value, Hash> map_;
};

/// LookupTable's set: membership without order.
template <typename Key, typename Hash = std::hash<Key>>
class LookupSet {
  public:
    bool contains(const Key& key) const { return set_.find(key) != set_.end(); }
    /// Adds `key`; returns whether it was absent.
    bool insert(const Key& key) { return set_.insert(key).second; }
    /// Removes `key`; returns whether it was present.
    bool erase(const Key& key) { return set_.erase(key) > 0; }
    /// Removes every key for which `doomed(key)` is true; as LookupTable::erase_if.
    template <typename Predicate>
    void erase_if(Predicate doomed) {
        std::erase_if(set_, [&](const Key& key) { return doomed(key); });
    }

    std::size_t size() const { return set_.size(); }
    bool empty() const { return set_.empty(); }

  private:
    std::unordered_set<Key, Hash> set_;
};

}  // namespace scaleup
