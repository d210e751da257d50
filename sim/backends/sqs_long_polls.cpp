#include "sim/backends/sqs_long_polls.hpp"

#include <algorithm>

namespace scaleup::sim {

SqsLongPolls::Waiter::Waiter(SqsLongPolls& line, int max_messages, Instant until)
    : line_(&line),
      max_messages_(static_cast<std::size_t>(std::max(max_messages, 1))),
      until_(until) {
    line.waiters_.push_back(this);
}

SqsLongPolls::Waiter::~Waiter() {
    if (line_ != nullptr)
        line_->leave(*this);
}

SqsLongPolls::~SqsLongPolls() {
    // Coroutines still waiting are destroyed later, with the runtime's tasks: their waiters must
    // not reach back into a line that is gone.
    for (Waiter* waiter : waiters_)
        waiter->line_ = nullptr;
}

void SqsLongPolls::WaitAwaiter::await_suspend(std::coroutine_handle<> h) {
    waiter.handle_ = h;
    waiter.suspended_ = true;
    line.settle(next_visible);
}

void SqsLongPolls::WaitAwaiter::await_resume() noexcept {
    // Woken, its timer was cancelled; otherwise the timer is what resumed it, and is spent.
    waiter.timer_ = 0;
    waiter.suspended_ = false;
    waiter.woken_ = false;
}

void SqsLongPolls::wake(std::size_t visible, Instant next_visible) {
    for (Waiter* waiter : waiters_) {
        if (visible == 0)
            break;
        if (!waiter->suspended_)
            continue;  // looking at the queue right now: it takes what it finds
        if (!waiter->woken_) {
            if (waiter->timer_ != 0)
                rt_.cancel_timer(waiter->timer_);
            waiter->timer_ = 0;
            waiter->woken_ = true;
            rt_.schedule(rt_.now(), waiter->handle_);
        }
        visible -= std::min(visible, waiter->max_messages_);
    }
    settle(next_visible);
}

void SqsLongPolls::settle(Instant next_visible) {
    bool first = true;
    for (Waiter* waiter : waiters_) {
        if (!waiter->suspended_ || waiter->woken_)
            continue;
        arm(*waiter, first ? std::min(waiter->until_, next_visible) : waiter->until_);
        first = false;
    }
}

void SqsLongPolls::arm(Waiter& waiter, Instant at) {
    if (waiter.timer_ != 0) {
        if (waiter.timer_at_ == at)
            return;
        rt_.cancel_timer(waiter.timer_);
    }
    waiter.timer_ = rt_.schedule(at, waiter.handle_);
    waiter.timer_at_ = at;
}

void SqsLongPolls::leave(Waiter& waiter) noexcept {
    // A poll leaves while it runs (its timer spent or cancelled), or when its coroutine is torn
    // down while suspended: then the runtime is shutting down, and its timer may still be queued.
    if (waiter.timer_ != 0)
        rt_.cancel_timer(waiter.timer_);
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &waiter));
}

}  // namespace scaleup::sim
