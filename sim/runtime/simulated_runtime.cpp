#include "sim/runtime/simulated_runtime.hpp"

#include <algorithm>
#include <stdexcept>

namespace scaleup::sim {

namespace {
TimerId make_id(std::uint32_t slot, std::uint32_t generation) {
    return (static_cast<TimerId>(generation) << 32) | slot;
}

// The event queue is a 4-ary min-heap: half the levels of a binary heap, and a node's four
// children share two cache lines. Popping the next event was a tenth of an exploration seed.
// Events are ordered by (time, sequence), a total order, so any correct heap runs them in the
// same order.
constexpr std::size_t kArity = 4;

template <typename Event, typename Earlier>
void push_event(std::vector<Event>& heap, Event event, Earlier earlier) {
    // The new place is made empty, not filled with `event`: handing `event` to the vector by
    // reference kept it on the stack, written as three words and read back as one wider load,
    // which the processor cannot forward from the stores (over a third of schedule's samples).
    std::size_t at = heap.size();
    heap.emplace_back();
    while (at > 0) {
        const std::size_t parent = (at - 1) / kArity;
        if (!earlier(event, heap[parent]))
            break;
        heap[at] = heap[parent];
        at = parent;
    }
    heap[at] = event;
}

/// Moves `event` down from `at` to where it belongs below it.
template <typename Event, typename Earlier>
void sift_down(std::vector<Event>& heap, std::size_t at, Event event, Earlier earlier) {
    const std::size_t size = heap.size();
    while (true) {
        const std::size_t first_child = at * kArity + 1;
        if (first_child >= size)
            break;
        std::size_t best = first_child;
        const std::size_t end = std::min(first_child + kArity, size);
        for (std::size_t child = first_child + 1; child < end; ++child) {
            if (earlier(heap[child], heap[best]))
                best = child;
        }
        if (!earlier(heap[best], event))
            break;
        heap[at] = heap[best];
        at = best;
    }
    heap[at] = event;
}

/// Precondition: the heap is not empty.
template <typename Event, typename Earlier>
Event pop_event(std::vector<Event>& heap, Earlier earlier) {
    const Event top = heap.front();
    const Event last = heap.back();
    heap.pop_back();
    if (!heap.empty())
        sift_down(heap, 0, last, earlier);
    return top;
}

/// Restores the heap order over arbitrary contents (Floyd: sift each parent down, last first).
template <typename Event, typename Earlier>
void make_event_heap(std::vector<Event>& heap, Earlier earlier) {
    if (heap.size() < 2)
        return;
    for (std::size_t parent = (heap.size() - 2) / kArity + 1; parent-- > 0;)
        sift_down(heap, parent, heap[parent], earlier);
}
}  // namespace

SimulatedRuntime::SimulatedRuntime(std::uint64_t seed, TraceRecorder* trace, Instant start)
    : seed_(seed), now_(start), random_(seed), trace_(trace) {}

SimulatedRuntime::~SimulatedRuntime() {
    destroy_spawned_tasks();
}

TimerId SimulatedRuntime::schedule(Instant at, std::coroutine_handle<> h) {
    std::uint32_t slot = 0;
    if (free_slots_.empty()) {
        slot = static_cast<std::uint32_t>(slots_.size());
        slots_.emplace_back();
    } else {
        slot = free_slots_.back();
        free_slots_.pop_back();
    }
    if (slot > kSlotMask || next_sequence_ >> (64 - kSlotBits) != 0)
        throw std::length_error("SimulatedRuntime: over 2^24 queued events or 2^40 scheduled");
    slots_[slot].queued = true;
    const Instant due = std::max(at, now_);
    const std::uint64_t order = (next_sequence_++ << kSlotBits) | slot;
    // Due now (a spawn, a wake-up, a zero sleep: nearly half of all events): it runs after every
    // event queued before it for this instant and before any queued after it, which a FIFO keeps
    // without touching the heap. Built in place (as push_event does), not copied from the stack.
    if (due == now_) {
        Event& event = ready_.emplace_back();
        event.at = due;
        event.order = order;
        event.handle = h;
    } else {
        push_event(heap_, Event{due, order, h},
                   [](const Event& a, const Event& b) { return later(b, a); });
    }
    return make_id(slot, slots_[slot].generation);
}

void SimulatedRuntime::cancel_timer(TimerId id) noexcept {
    const auto slot = static_cast<std::uint32_t>(id & 0xffff'ffffU);
    const auto generation = static_cast<std::uint32_t>(id >> 32);
    if (id == 0 || slot >= slots_.size() || slots_[slot].generation != generation ||
        !slots_[slot].queued || slots_[slot].cancelled) {
        return;  // never scheduled here, fired, or cancelled already
    }
    slots_[slot].cancelled = true;
    ++cancelled_queued_;
    // Most timers are timeouts, cancelled long before they are due: a day's heap was 45,000
    // cancelled entries around 600 live ones. Sweeping them out once they are a quarter of the
    // queue keeps every push and pop on a small heap, at an amortised constant cost per cancel
    // (four entries looked at per cancel, where a cancelled entry left to reach the top costs a
    // pop: at half, as before, a standard hour's heap was 41 % cancelled entries and a quarter of
    // its pops were of them).
    if (cancelled_queued_ >= kMinCancelledToCompact && cancelled_queued_ * 4 > queued_entries())
        compact_queue();
}

void SimulatedRuntime::compact_queue() noexcept {
    const auto keep = [this](const Event& event) {
        if (!slots_[event.slot()].cancelled)
            return true;
        release_slot(event.slot());
        return false;
    };
    std::size_t kept = 0;
    for (const Event& event : heap_) {
        if (keep(event))
            heap_[kept++] = event;
    }
    heap_.resize(kept);
    make_event_heap(heap_, [](const Event& a, const Event& b) { return later(b, a); });
    kept = 0;
    for (std::size_t i = ready_head_; i < ready_.size(); ++i) {
        if (keep(ready_[i]))
            ready_[kept++] = ready_[i];
    }
    ready_.resize(kept);
    ready_head_ = 0;
    cancelled_queued_ = 0;
}

void SimulatedRuntime::release_slot(std::uint32_t index) noexcept {
    Slot& slot = slots_[index];
    const std::uint32_t next_generation =
        slot.generation == ~std::uint32_t{0} ? 1 : slot.generation + 1;
    slot = Slot{next_generation, false, false};
    free_slots_.push_back(index);
}

bool SimulatedRuntime::next_is_ready() const noexcept {
    return ready_head_ < ready_.size() &&
           (heap_.empty() || later(heap_.front(), ready_[ready_head_]));
}

SimulatedRuntime::Event SimulatedRuntime::pop_next() noexcept {
    const bool ready = next_is_ready();
    const Event event =
        ready ? ready_[ready_head_++]
              : pop_event(heap_, [](const Event& a, const Event& b) { return later(b, a); });
    if (ready && ready_head_ == ready_.size()) {
        ready_.clear();
        ready_head_ = 0;
    }
    if (slots_[event.slot()].cancelled)
        --cancelled_queued_;
    release_slot(event.slot());
    return event;
}

void SimulatedRuntime::drop_cancelled_on_top() noexcept {
    while (cancelled_queued_ > 0 && queued_entries() > 0 &&
           slots_[(next_is_ready() ? ready_[ready_head_] : heap_.front()).slot()].cancelled) {
        (void)pop_next();
    }
}

TraceDigest* SimulatedRuntime::begin_trace(std::string_view component, std::string_view event) {
    return trace_ == nullptr ? nullptr : &trace_->begin_event(now_, component, event);
}

void SimulatedRuntime::end_trace(std::string_view fields) {
    trace_->end_event(fields);
}

void SimulatedRuntime::on_unhandled_exception(std::exception_ptr error) {
    if (!failure_)
        failure_ = error;
}

void SimulatedRuntime::rethrow_failure() {
    if (failure_)
        std::rethrow_exception(std::exchange(failure_, nullptr));
}

bool SimulatedRuntime::step() {
    drop_cancelled_on_top();
    if (queued_entries() == 0)
        return false;
    run_next();
    return true;
}

void SimulatedRuntime::run_next() {
    const Event event = pop_next();
    now_ = event.at;
    ++events_processed_;
    event.handle.resume();
    rethrow_failure();
}

void SimulatedRuntime::run_until(Instant deadline) {
    // Cancelled timers are dropped before looking at the top, so the next event run is never one
    // past the deadline hiding behind a cancelled one.
    for (drop_cancelled_on_top();
         queued_entries() > 0 && (next_is_ready() ? now_ : heap_.front().at) <= deadline;
         drop_cancelled_on_top()) {
        run_next();
    }
    if (deadline > now_)
        now_ = deadline;
}

void SimulatedRuntime::run() {
    while (step()) {
    }
}

}  // namespace scaleup::sim
