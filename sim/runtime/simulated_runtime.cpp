#include "sim/runtime/simulated_runtime.hpp"

#include <algorithm>

namespace scaleup::sim {

SimulatedRuntime::SimulatedRuntime(std::uint64_t seed, TraceRecorder* trace, Instant start)
    : seed_(seed), now_(start), random_(seed), trace_(trace) {}

SimulatedRuntime::~SimulatedRuntime() {
    destroy_spawned_tasks();
}

TimerId SimulatedRuntime::schedule(Instant at, std::coroutine_handle<> h) {
    const TimerId id = next_id_++;
    queue_.push_back(Event{std::max(at, now_), id, h});
    std::push_heap(queue_.begin(), queue_.end(), later);
    return id;
}

void SimulatedRuntime::cancel_timer(TimerId id) noexcept {
    // Callers cancel only timers that have not fired (see Runtime::cancel_timer), so every id
    // remembered here is still in the queue and is erased when it surfaces.
    if (id != 0 && id < next_id_)
        cancelled_.insert(id);
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
    while (!queue_.empty()) {
        std::pop_heap(queue_.begin(), queue_.end(), later);
        const Event event = queue_.back();
        queue_.pop_back();
        if (!cancelled_.empty() && cancelled_.erase(event.id) > 0)
            continue;
        now_ = event.at;
        ++events_processed_;
        event.handle.resume();
        rethrow_failure();
        return true;
    }
    return false;
}

void SimulatedRuntime::drop_cancelled_on_top() {
    while (!queue_.empty() && !cancelled_.empty() && cancelled_.count(queue_.front().id) > 0) {
        cancelled_.erase(queue_.front().id);
        std::pop_heap(queue_.begin(), queue_.end(), later);
        queue_.pop_back();
    }
}

void SimulatedRuntime::run_until(Instant deadline) {
    // Cancelled timers are dropped before looking at the top, so the next event run is never one
    // past the deadline hiding behind a cancelled one.
    for (drop_cancelled_on_top(); !queue_.empty() && queue_.front().at <= deadline;
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
