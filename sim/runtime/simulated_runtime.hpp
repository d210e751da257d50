// SimulatedRuntime: the deterministic implementation of the runtime seam.
//
// Virtual time starts at a fixed epoch and moves only when the loop takes the next event: the event
// queue is a heap ordered by (time, insertion sequence), so events due at the same instant
// run in the order they were scheduled, and nothing ever sleeps for real. One seeded xoshiro256**
// stream is the only randomness. No threads, no wall clock, no ordering by address: the same seed
// and build give the same run. Each simulation is one object; any number can live in one process.
#pragma once

#include <cstdint>
#include <exception>
#include <vector>

#include "core/runtime/runtime.hpp"
#include "sim/runtime/trace_recorder.hpp"

namespace scaleup::sim {

/// 2026-01-01T00:00:00Z: a fixed, realistic epoch, so JWT `iat`/`exp` and rate-limit resets look
/// like the real ones in traces.
inline constexpr Instant kSimulationEpoch = instant_from_unix_seconds(1'767'225'600);

class SimulatedRuntime final : public Runtime {
  public:
    explicit SimulatedRuntime(std::uint64_t seed, TraceRecorder* trace = nullptr,
                              Instant start = kSimulationEpoch);
    ~SimulatedRuntime() override;
    SimulatedRuntime(const SimulatedRuntime&) = delete;
    SimulatedRuntime& operator=(const SimulatedRuntime&) = delete;

    Instant now() const noexcept override { return now_; }
    Random& random() noexcept override { return random_; }
    TimerId schedule(Instant at, std::coroutine_handle<> h) override;
    void cancel_timer(TimerId id) noexcept override;
    bool tracing() const noexcept override { return trace_ != nullptr; }
    TraceDigest* begin_trace(std::string_view component, std::string_view event) override;
    bool trace_text_wanted() const noexcept override {
        return trace_ != nullptr && trace_->text_wanted();
    }
    void end_trace(std::string_view fields) override;
    void on_unhandled_exception(std::exception_ptr error) override;

    /// Runs the next event. False when the queue is empty.
    bool step();
    /// Runs every event due at or before `deadline`, then sets the clock to `deadline`.
    void run_until(Instant deadline);
    void run_for(Duration d) { run_until(now_ + d); }
    /// Runs until no event is left (every task finished or waits on something that never comes).
    void run();

    std::uint64_t seed() const noexcept { return seed_; }
    std::uint64_t events_processed() const noexcept { return events_processed_; }
    std::size_t pending_events() const noexcept { return queued_entries() - cancelled_queued_; }
    /// Queued events, cancelled ones not yet swept out included.
    std::size_t queued_entries() const noexcept {
        return heap_.size() + (ready_.size() - ready_head_);
    }

  private:
    // The queue runs events in (time, insertion sequence) order. Events due later wait in a
    // 4-ary heap; events due at the current instant join a FIFO, already in that order. Each
    // queued event owns a slot; cancelling marks the slot, and a marked event is dropped when it
    // reaches the top, or with every other marked one once they are most of the heap. Timeouts are
    // cancelled by the hundred thousand: a flag in a vector indexed by slot costs one array access
    // per event, where the hash set it replaces was 9 % of a simulated day, and the sift loops
    // touch nothing but the heap (tracking heap positions so that a cancel could remove at once
    // made them twice as slow with 100,000 sleepers). A TimerId is the slot and the slot's
    // generation, so the id of a timer that already fired never matches a reused slot.
    // An event is 24 bytes, not 32, so more of the heap stays in cache: the sequence and the slot
    // share one word, the sequence above (it is unique, so the slot bits never decide the order).
    // With 100,000 sleepers (bench_runtime) cachegrind counts 16 % fewer first-level misses.
    struct Event {
        Instant at;
        std::uint64_t order;
        std::coroutine_handle<> handle;

        std::uint32_t slot() const noexcept {
            return static_cast<std::uint32_t>(order & kSlotMask);
        }
    };
    struct Slot {
        std::uint32_t generation = 1;
        bool queued = false;
        bool cancelled = false;
    };
    static constexpr unsigned kSlotBits = 24;  // 16.7 million queued events at once
    static constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;
    // The queue's order: the heap (simulated_runtime.cpp) keeps the earliest on top.
    static bool later(const Event& a, const Event& b) noexcept {
        return a.at != b.at ? a.at > b.at : a.order > b.order;
    }
    void rethrow_failure();
    /// Whether the next event is the ready list's front. Precondition: an event is queued.
    bool next_is_ready() const noexcept;
    /// Takes the next event off the queue and frees its slot. Precondition: an event is queued.
    Event pop_next() noexcept;
    /// Runs the event on top. Precondition: an event is queued and it is not cancelled.
    void run_next();
    void drop_cancelled_on_top() noexcept;
    /// Drops every cancelled event from the queue and frees their slots.
    void compact_queue() noexcept;
    void release_slot(std::uint32_t index) noexcept;
    static constexpr std::size_t kMinCancelledToCompact = 64;

    std::uint64_t seed_;
    Instant now_;
    Random random_;
    TraceRecorder* trace_;
    std::vector<Event> heap_;
    // Events due at now_, in sequence order, from ready_head_ on; empty whenever now_ moves.
    std::vector<Event> ready_;
    std::size_t ready_head_ = 0;
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> free_slots_;
    std::size_t cancelled_queued_ = 0;  // in heap_ or ready_
    std::uint64_t next_sequence_ = 0;
    std::uint64_t events_processed_ = 0;
    std::exception_ptr failure_;
};

}  // namespace scaleup::sim
