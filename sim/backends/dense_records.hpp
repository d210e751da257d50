// DenseRecords: a simulated service's records keyed by ids it hands out one after another.
//
// GitHub numbers jobs and runners in order, and the simulated GitHub never forgets one (checkers
// read them all after the run). A std::map of them made every lookup a walk of about ten tree
// nodes, each a likely cache miss; here a lookup is an index (an explored seed: 2.5 % fewer
// first-level misses, docs/benchmarks.md). The records live in a deque, so a reference to one
// stays valid as more are added, and iteration is in id order, as the map's was.
#pragma once

#include <cstdint>
#include <deque>
#include <stdexcept>

namespace scaleup::sim {

template <typename Record>
class DenseRecords {
  public:
    explicit DenseRecords(std::int64_t first_id) : first_id_(first_id) {}

    /// The id the next added record gets.
    std::int64_t next_id() const noexcept {
        return first_id_ + static_cast<std::int64_t>(records_.size());
    }
    /// Adds a default record with id next_id(); the caller fills it in.
    Record& add() { return records_.emplace_back(); }

    Record* find(std::int64_t id) noexcept { return contains(id) ? &records_[index(id)] : nullptr; }
    const Record* find(std::int64_t id) const noexcept {
        return contains(id) ? &records_[index(id)] : nullptr;
    }
    /// The record with `id`; throws std::out_of_range if there is none.
    Record& at(std::int64_t id) { return records_[checked_index(id)]; }
    const Record& at(std::int64_t id) const { return records_[checked_index(id)]; }

    std::size_t size() const noexcept { return records_.size(); }
    bool empty() const noexcept { return records_.empty(); }
    auto begin() const noexcept { return records_.begin(); }
    auto end() const noexcept { return records_.end(); }

  private:
    bool contains(std::int64_t id) const noexcept { return id >= first_id_ && id < next_id(); }
    std::size_t index(std::int64_t id) const noexcept {
        return static_cast<std::size_t>(id - first_id_);
    }
    std::size_t checked_index(std::int64_t id) const {
        if (!contains(id))
            throw std::out_of_range("no record with this id");
        return index(id);
    }

    std::int64_t first_id_;
    std::deque<Record> records_;
};

}  // namespace scaleup::sim
