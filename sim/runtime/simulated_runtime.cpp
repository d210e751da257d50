#include "sim/runtime/simulated_runtime.hpp"

#include <algorithm>

namespace scaleup::sim {

namespace {
TimerId make_id(std::uint32_t slot, std::uint32_t generation) {
    return (static_cast<TimerId>(generation) << 32) | slot;
}
}  // namespace

SimulatedRuntime::SimulatedRuntime(std::uint64_t seed, TraceRecorder* trace, Instant start)
    : seed_(seed), now_(start), random_(seed), trace_(trace) {}

SimulatedRuntime::~SimulatedRuntime() {
    destroy_spawned_tasks();
}

std::uint32_t SimulatedRuntime::take_slot() {
    if (!free_slots_.empty()) {
        const std::uint32_t slot = free_slots_.back();
        free_slots_.pop_back();
        return slot;
    }
    slots_.push_back(Slot{kNotQueued, 1});
    return static_cast<std::uint32_t>(slots_.size() - 1);
}

TimerId SimulatedRuntime::schedule(Instant at, std::coroutine_handle<> h) {
    const std::uint32_t slot = take_slot();
    heap_.push_back(Event{std::max(at, now_), next_sequence_++, h, slot});
    slots_[slot].heap_index = static_cast<std::uint32_t>(heap_.size() - 1);
    sift_up(heap_.size() - 1);
    return make_id(slot, slots_[slot].generation);
}

void SimulatedRuntime::cancel_timer(TimerId id) noexcept {
    const auto slot = static_cast<std::uint32_t>(id & 0xffff'ffffU);
    const auto generation = static_cast<std::uint32_t>(id >> 32);
    if (id == 0 || slot >= slots_.size() || slots_[slot].generation != generation ||
        slots_[slot].heap_index == kNotQueued) {
        return;  // never scheduled here, fired, or cancelled already
    }
    remove_at(slots_[slot].heap_index);
}

void SimulatedRuntime::place(std::size_t index, const Event& event) noexcept {
    heap_[index] = event;
    slots_[event.slot].heap_index = static_cast<std::uint32_t>(index);
}

void SimulatedRuntime::sift_up(std::size_t index) noexcept {
    const Event event = heap_[index];
    while (index > 0) {
        const std::size_t parent = (index - 1) / 2;
        if (!earlier(event, heap_[parent]))
            break;
        place(index, heap_[parent]);
        index = parent;
    }
    place(index, event);
}

void SimulatedRuntime::sift_down(std::size_t index) noexcept {
    const Event event = heap_[index];
    const std::size_t size = heap_.size();
    for (;;) {
        std::size_t child = 2 * index + 1;
        if (child >= size)
            break;
        if (child + 1 < size && earlier(heap_[child + 1], heap_[child]))
            ++child;
        if (!earlier(heap_[child], event))
            break;
        place(index, heap_[child]);
        index = child;
    }
    place(index, event);
}

SimulatedRuntime::Event SimulatedRuntime::remove_at(std::size_t index) noexcept {
    const Event removed = heap_[index];
    Slot& slot = slots_[removed.slot];
    slot.heap_index = kNotQueued;
    slot.generation = slot.generation == ~std::uint32_t{0} ? 1 : slot.generation + 1;
    free_slots_.push_back(removed.slot);

    const Event last = heap_.back();
    heap_.pop_back();
    if (index < heap_.size()) {
        place(index, last);
        if (index > 0 && earlier(last, heap_[(index - 1) / 2]))
            sift_up(index);
        else
            sift_down(index);
    }
    return removed;
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
    if (heap_.empty())
        return false;
    const Event event = remove_at(0);
    now_ = event.at;
    ++events_processed_;
    event.handle.resume();
    rethrow_failure();
    return true;
}

void SimulatedRuntime::run_until(Instant deadline) {
    while (!heap_.empty() && heap_.front().at <= deadline)
        step();
    if (deadline > now_)
        now_ = deadline;
}

void SimulatedRuntime::run() {
    while (step()) {
    }
}

}  // namespace scaleup::sim
