// SqsLongPolls: the ReceiveMessage calls of one simulated queue that wait in a long poll, and which
// of them a change to the queue wakes.
//
// A long poll returns as soon as a message is visible, or empty when its wait ends. Messages that
// become visible go to the waiting polls in the order those began waiting, to as many polls as
// the messages need (each takes up to its MaxNumberOfMessages). A woken poll that finds nothing (a
// faster receive took the message) keeps its place in line. The first poll in line that is not
// already woken also watches the queue's next hidden message: its timer is set for the instant
// that message becomes visible, or for the end of its own wait if that comes first. Every other
// poll's timer is set for the end of its wait.
//
// Why a line rather than a broadcast: the queue used to wake every waiting poll at every change,
// and each woken poll looked at the queue and set itself a new timer. With five consumers idle,
// four wake-ups in five found nothing: some 4,600 events of a standard hour's 66,000.
#pragma once

#include <coroutine>
#include <cstddef>
#include <vector>

#include "core/runtime/runtime.hpp"

namespace scaleup::sim {

class SqsLongPolls {
  public:
    /// One waiting poll, a local of the polling coroutine: it joins the line when made and leaves
    /// it when destroyed, whether the poll returned or its coroutine was torn down.
    class Waiter {
      public:
        Waiter(SqsLongPolls& line, int max_messages, Instant until);
        ~Waiter();
        Waiter(const Waiter&) = delete;
        Waiter& operator=(const Waiter&) = delete;

      private:
        friend class SqsLongPolls;
        SqsLongPolls* line_;  // null once the line is gone (a queue destroyed before its runtime)
        std::size_t max_messages_;
        Instant until_;
        std::coroutine_handle<> handle_{};
        TimerId timer_ = 0;  // armed while suspended and not woken
        Instant timer_at_{};
        bool suspended_ = false;
        bool woken_ = false;  // its resumption is scheduled for now
    };

    /// `co_await line.wait(waiter, next_visible)`: suspends the poll until a change wakes it or its
    /// timer fires. Holds only references and an instant (g++ 12 destroys a co_await operand's
    /// non-trivial members twice: docs/architecture.md, compiler notes).
    struct WaitAwaiter {
        SqsLongPolls& line;
        Waiter& waiter;
        Instant next_visible;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h);
        void await_resume() noexcept;
    };

    explicit SqsLongPolls(Runtime& rt) : rt_(rt) {}
    ~SqsLongPolls();
    SqsLongPolls(const SqsLongPolls&) = delete;
    SqsLongPolls& operator=(const SqsLongPolls&) = delete;

    /// Precondition: `waiter` is in this line and not suspended. `next_visible` is when the queue's
    /// next hidden message becomes visible (Instant::max() for none).
    WaitAwaiter wait(Waiter& waiter, Instant next_visible) { return {*this, waiter, next_visible}; }
    /// After a change to the queue (or a poll leaving the line): `visible` messages can be received
    /// now; the next hidden one becomes visible at `next_visible`. Wakes, in line order, as many
    /// polls as the visible messages need, and sets the watch on the next hidden message.
    void wake(std::size_t visible, Instant next_visible);
    std::size_t size() const noexcept { return waiters_.size(); }

  private:
    /// Sets each suspended, unwoken poll's timer: the first one's for min(its end, next_visible),
    /// the others' for their end. A timer already set for that instant is left alone.
    void settle(Instant next_visible);
    void arm(Waiter& waiter, Instant at);
    void leave(Waiter& waiter) noexcept;

    Runtime& rt_;
    std::vector<Waiter*> waiters_;  // the line: the order the polls began waiting
};

}  // namespace scaleup::sim
