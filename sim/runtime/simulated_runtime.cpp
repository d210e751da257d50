#include "sim/runtime/simulated_runtime.hpp"

#include <algorithm>

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
    std::size_t at = heap.size();
    heap.push_back(event);
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
    slots_[slot].queued = true;
    push_event(heap_, Event{std::max(at, now_), next_sequence_++, h, slot},
               [](const Event& a, const Event& b) { return later(b, a); });
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
    ++cancelled_in_heap_;
    // Most timers are timeouts, cancelled long before they are due: a day's heap was 45,000
    // cancelled entries around 600 live ones. Sweeping them out when they are the majority keeps
    // every push and pop on a small heap, at an amortised constant cost per cancel.
    if (cancelled_in_heap_ >= kMinCancelledToCompact && cancelled_in_heap_ * 2 > heap_.size())
        compact_heap();
}

void SimulatedRuntime::compact_heap() noexcept {
    std::size_t kept = 0;
    for (const Event& event : heap_) {
        if (slots_[event.slot].cancelled)
            release_slot(event.slot);
        else
            heap_[kept++] = event;
    }
    heap_.resize(kept);
    cancelled_in_heap_ = 0;
    make_event_heap(heap_, [](const Event& a, const Event& b) { return later(b, a); });
}

void SimulatedRuntime::release_slot(std::uint32_t index) noexcept {
    Slot& slot = slots_[index];
    const std::uint32_t next_generation =
        slot.generation == ~std::uint32_t{0} ? 1 : slot.generation + 1;
    slot = Slot{next_generation, false, false};
    free_slots_.push_back(index);
}

SimulatedRuntime::Event SimulatedRuntime::pop_top() noexcept {
    const Event event =
        pop_event(heap_, [](const Event& a, const Event& b) { return later(b, a); });
    if (slots_[event.slot].cancelled)
        --cancelled_in_heap_;
    release_slot(event.slot);
    return event;
}

void SimulatedRuntime::drop_cancelled_on_top() noexcept {
    while (cancelled_in_heap_ > 0 && !heap_.empty() && slots_[heap_.front().slot].cancelled)
        pop_top();
}

void SimulatedRuntime::trace(std::string_view component, std::string_view event,
                             std::string_view fields) {
    if (trace_ != nullptr)
        trace_->record(now_, component, event, fields);
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
    if (heap_.empty())
        return false;
    const Event event = pop_top();
    now_ = event.at;
    ++events_processed_;
    event.handle.resume();
    rethrow_failure();
    return true;
}

void SimulatedRuntime::run_until(Instant deadline) {
    // Cancelled timers are dropped before looking at the top, so the next event run is never one
    // past the deadline hiding behind a cancelled one.
    for (drop_cancelled_on_top(); !heap_.empty() && heap_.front().at <= deadline;
         drop_cancelled_on_top()) {
        step();
    }
    if (deadline > now_)
        now_ = deadline;
}

void SimulatedRuntime::run() {
    while (step()) {
    }
}

}  // namespace scaleup::sim
