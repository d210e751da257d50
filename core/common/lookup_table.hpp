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
//
// Layout: the entries sit in one array, in no promised order; a second array of slots, at most
// half full, maps a key's hash to its entry (linear probing; a slot holds the entry's position and
// 32 bits of its hash, so a probe rarely reads an entry that is not the one sought). A
// node-based std::unordered_map allocated a node per entry and walked three pointers to reach a
// key: string-keyed tables were 6 % of a simulated day. In exchange, a pointer or reference to a
// value lasts only until the next insertion or erasure in the same table.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace scaleup {

template <typename Key, typename Value, typename Hash = std::hash<Key>>
class LookupTable {
  public:
    /// The value under `key`, or null. Valid until the next insertion or erasure.
    Value* find(const Key& key) {
        const std::size_t slot = slot_of(key, hash_of(key));
        return slot == kNone ? nullptr : &entries_[slots_[slot].entry - 1].value;
    }
    const Value* find(const Key& key) const {
        const std::size_t slot = slot_of(key, hash_of(key));
        return slot == kNone ? nullptr : &entries_[slots_[slot].entry - 1].value;
    }
    bool contains(const Key& key) const { return slot_of(key, hash_of(key)) != kNone; }

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
        const std::size_t hash = hash_of(key);
        if (const std::size_t slot = slot_of(key, hash); slot != kNone)
            return {entries_[slots_[slot].entry - 1].value, false};
        if (2 * (entries_.size() + 1) > slots_.size())
            grow();
        entries_.push_back(Entry{hash, key, Value(std::forward<Args>(args)...)});
        place(hash, entries_.size());
        return {entries_.back().value, true};
    }
    /// The value under `key`, default-constructed if absent.
    Value& operator[](const Key& key) { return try_emplace(key).first; }

    /// Removes `key`; returns whether it was present.
    bool erase(const Key& key) {
        const std::size_t slot = slot_of(key, hash_of(key));
        if (slot == kNone)
            return false;
        const std::size_t entry = slots_[slot].entry - 1;
        remove_slot(slot);
        // The last entry fills the hole, and its slot follows it.
        const std::size_t last = entries_.size() - 1;
        if (entry != last) {
            entries_[entry] = std::move(entries_[last]);
            slots_[slot_holding(entries_[entry].hash, last + 1)].entry =
                static_cast<std::uint32_t>(entry + 1);
        }
        entries_.pop_back();
        return true;
    }

    /// Removes every entry for which `doomed(key, value)` is true. The entries are offered in no
    /// particular order, so `doomed` must decide from the entry alone and change nothing.
    template <typename Predicate>
    void erase_if(Predicate doomed) {
        std::size_t kept = 0;
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            if (doomed(std::as_const(entries_[i].key), std::as_const(entries_[i].value)))
                continue;
            if (kept != i)
                entries_[kept] = std::move(entries_[i]);
            ++kept;
        }
        if (kept == entries_.size())
            return;
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(kept), entries_.end());
        rebuild_slots(slots_.size());
    }

    std::size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }

  private:
    struct Entry {
        std::size_t hash;
        Key key;
        Value value;
    };
    struct Slot {
        std::uint32_t entry = 0;  // position in entries_ plus one; 0: empty
        std::uint32_t hash_bits = 0;
    };
    static constexpr std::size_t kNone = ~std::size_t{0};
    static constexpr std::size_t kMinSlots = 16;

    static std::size_t hash_of(const Key& key) { return Hash{}(key); }
    static std::uint32_t bits_of(std::size_t hash) { return static_cast<std::uint32_t>(hash); }
    /// Where a hash's probe starts: Fibonacci hashing spreads hashes that differ in low bits only.
    std::size_t home_of(std::size_t hash) const {
        return static_cast<std::size_t>(
            (static_cast<std::uint64_t>(hash) * 0x9E3779B97F4A7C15ULL) >> shift_);
    }
    std::size_t next(std::size_t slot) const { return (slot + 1) & (slots_.size() - 1); }

    std::size_t slot_of(const Key& key, std::size_t hash) const {
        if (slots_.empty())
            return kNone;
        const std::uint32_t bits = bits_of(hash);
        for (std::size_t slot = home_of(hash);; slot = next(slot)) {
            const Slot& s = slots_[slot];
            if (s.entry == 0)
                return kNone;
            if (s.hash_bits == bits && entries_[s.entry - 1].key == key)
                return slot;
        }
    }
    /// The slot that holds entry number `entry_plus_one`, whose hash is `hash`.
    std::size_t slot_holding(std::size_t hash, std::size_t entry_plus_one) const {
        std::size_t slot = home_of(hash);
        while (slots_[slot].entry != entry_plus_one)
            slot = next(slot);
        return slot;
    }
    void place(std::size_t hash, std::size_t entry_plus_one) {
        std::size_t slot = home_of(hash);
        while (slots_[slot].entry != 0)
            slot = next(slot);
        slots_[slot] = Slot{static_cast<std::uint32_t>(entry_plus_one), bits_of(hash)};
    }
    /// Empties `slot` and moves later slots of the same run back, so every entry stays reachable
    /// from its home slot without a gap (no tombstones).
    void remove_slot(std::size_t slot) {
        std::size_t hole = slot;
        for (std::size_t at = next(slot); slots_[at].entry != 0; at = next(at)) {
            const std::size_t home = home_of(entries_[slots_[at].entry - 1].hash);
            const std::size_t mask = slots_.size() - 1;
            // Movable into the hole when the hole lies between its home and where it is now.
            if (((at - home) & mask) >= ((at - hole) & mask)) {
                slots_[hole] = slots_[at];
                hole = at;
            }
        }
        slots_[hole] = Slot{};
    }
    void grow() {
        if (entries_.size() + 1 > std::size_t{0xffff'fffe})
            throw std::length_error("LookupTable: over 2^32 entries");
        rebuild_slots(slots_.empty() ? kMinSlots : 2 * slots_.size());
    }
    void rebuild_slots(std::size_t count) {
        slots_.assign(count, Slot{});
        shift_ = 64;
        for (std::size_t n = count; n > 1; n >>= 1)
            --shift_;
        for (std::size_t i = 0; i < entries_.size(); ++i)
            place(entries_[i].hash, i + 1);
    }

    std::vector<Entry> entries_;
    std::vector<Slot> slots_;  // a power of two in size, at most half of them used
    unsigned shift_ = 64;      // 64 - log2(slots_.size())
};

/// LookupTable's set: membership without order.
template <typename Key, typename Hash = std::hash<Key>>
class LookupSet {
  public:
    bool contains(const Key& key) const { return table_.contains(key); }
    /// Adds `key`; returns whether it was absent.
    bool insert(const Key& key) { return table_.try_emplace(key).second; }
    /// Removes `key`; returns whether it was present.
    bool erase(const Key& key) { return table_.erase(key); }
    /// Removes every key for which `doomed(key)` is true; as LookupTable::erase_if.
    template <typename Predicate>
    void erase_if(Predicate doomed) {
        table_.erase_if([&](const Key& key, const Present&) { return doomed(key); });
    }

    std::size_t size() const { return table_.size(); }
    bool empty() const { return table_.empty(); }

  private:
    struct Present {};
    LookupTable<Key, Present, Hash> table_;
};

}  // namespace scaleup
