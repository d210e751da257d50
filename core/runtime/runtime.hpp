// The runtime seam: everything the core needs from the world it runs in.
//
// The core is written against `Runtime` alone: the time, timers (sleep, timeouts, cancellation),
// spawning tasks, one random source, and a trace of what happened. `sim::SimulatedRuntime`
// implements it on a virtual clock with an event queue; `adapters::AsioRuntime` on a Boost.Asio
// io_context. A runtime is an object, never a global: several simulations can run in one process.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "core/runtime/probes.hpp"
#include "core/runtime/random.hpp"
#include "core/runtime/task.hpp"
#include "core/runtime/time.hpp"
#include "core/runtime/trace_digest.hpp"

namespace scaleup {

using TimerId = std::uint64_t;

class Runtime {
  public:
    virtual ~Runtime();

    virtual Instant now() const noexcept = 0;
    virtual Random& random() noexcept = 0;

    /// Resumes `h` at `at` (or now, if `at` has passed). Timers due at the same instant fire in the
    /// order they were scheduled. The returned id can cancel it.
    virtual TimerId schedule(Instant at, std::coroutine_handle<> h) = 0;
    /// The timer will not fire. Precondition: it has not fired yet and was not cancelled before
    /// (every caller knows: the coroutine it would resume is still suspended on it).
    virtual void cancel_timer(TimerId id) noexcept = 0;

    /// The coverage probes' counts (core/runtime/probes.hpp). A runtime that views another's clock
    /// (the simulation's skewed host clock) counts into the one it views.
    virtual ProbeCounts& probes() noexcept { return probes_; }
    /// Whether `trace` records anything; callers skip work for their fields when it does not.
    virtual bool tracing() const noexcept { return false; }
    /// One event of the run: which component, what happened, and its fields ("key=value ...").
    void trace(std::string_view component, std::string_view event, std::string_view fields) {
        TraceDigest* digest = begin_trace(component, event);
        if (digest == nullptr)
            return;
        digest->add_text(fields);
        end_trace(fields);
    }
    /// trace() with the fields formatted by fmt from a format compiled at the call site,
    /// `FMT_COMPILE("key={} ...")` (parsing format strings at run time was a tenth of a
    /// simulation's instructions). The arguments are folded into the trace's digest by value
    /// (core/runtime/trace_digest.hpp); the line is formatted, into a buffer the runtime reuses,
    /// only when someone reads lines.
    template <typename CompiledFormat, typename... Args>
    requires std::is_base_of_v<fmt::detail::compiled_string, CompiledFormat>
    void tracef(std::string_view component, std::string_view event, const CompiledFormat& fields,
                Args&&... args) {
        TraceDigest* digest = begin_trace(component, event);
        if (digest == nullptr)
            return;
        static constexpr std::uint64_t kFormat = format_fingerprint(CompiledFormat{});
        digest->add_word(kFormat);
        (add_trace_field(*digest, args), ...);
        if (!trace_text_wanted()) {
            end_trace({});
            return;
        }
        trace_fields_.clear();
        fmt::format_to(fmt::appender(trace_fields_), fields, std::forward<Args>(args)...);
        end_trace(std::string_view(trace_fields_.data(), trace_fields_.size()));
    }

    /// The tracing seam, for runtimes (trace() and tracef() call it): begin_trace returns the
    /// digest that takes the event's fields, or null when nothing is traced; end_trace gets the
    /// fields' text when trace_text_wanted() said it is wanted, and an empty view otherwise.
    virtual TraceDigest* begin_trace(std::string_view component, std::string_view event);
    virtual bool trace_text_wanted() const noexcept { return false; }
    virtual void end_trace(std::string_view fields);

    /// Runs `task` concurrently, starting after the current event. The runtime owns it: a task
    /// still suspended when the runtime is destroyed is destroyed with it. An exception escaping a
    /// spawned task is a bug; the runtime reports it (the simulation stops with it).
    void spawn(Task<void> task);
    /// Takes over a task that has started and is suspended (one that lost a `with_timeout` race):
    /// it runs on, its result or exception is dropped when it finishes, and the runtime destroys it
    /// if it is still suspended when the runtime shuts down.
    template <typename T>
    void adopt(Task<T> task) {
        const auto frame = task.release();
        adopt_started(frame, frame.promise());
    }
    /// Number of spawned tasks that have not finished.
    std::size_t live_tasks() const noexcept { return live_tasks_; }

    struct SleepAwaiter {
        Runtime& runtime;
        Instant at;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h) { runtime.schedule(at, h); }
        void await_resume() const noexcept {}
    };
    /// Suspends for `d`; a zero or negative duration yields to the other ready tasks.
    SleepAwaiter sleep(Duration d) { return SleepAwaiter{*this, now() + d}; }
    SleepAwaiter sleep_until(Instant t) { return SleepAwaiter{*this, t}; }

    /// Called with the exception that escaped a spawned task.
    virtual void on_unhandled_exception(std::exception_ptr error) = 0;

    /// Destroys every spawned task still suspended, now: for an owner (a simulated world) that must
    /// tear the tasks down before the components those tasks use.
    void shutdown() noexcept { destroy_spawned_tasks(); }

  protected:
    /// Destroys every spawned task that is still suspended, oldest first. Derived runtimes call it
    /// from their destructor, while their timer queue still exists.
    void destroy_spawned_tasks() noexcept;

  private:
    /// What tracef folds for its format: the format text's fingerprint, computed at compile time.
    template <typename CompiledFormat>
    static constexpr std::uint64_t format_fingerprint(const CompiledFormat& format) {
        const fmt::string_view text = static_cast<fmt::string_view>(format);
        return TraceDigest::fingerprint(std::string_view(text.data(), text.size()));
    }

    friend struct SpawnedTaskPromise;
    struct SpawnedLink {
        SpawnedLink* prev = nullptr;
        SpawnedLink* next = nullptr;
    };
    void adopt_started(std::coroutine_handle<> frame, detail::PromiseBase& promise);
    void link(SpawnedLink* node) noexcept;
    void unlink(SpawnedLink* node) noexcept;

    SpawnedLink spawned_;  // sentinel of an intrusive list, in spawn order
    ProbeCounts probes_;
    std::size_t live_tasks_ = 0;
    fmt::memory_buffer trace_fields_;  // tracef's, reused line after line
};

// ---------------------------------------------------------------------------------------------
// Cancellation: a source that wakes every sleep registered with its token.

class CancellationSource;

namespace detail {
struct CancellableWait;
struct CancellationState {
    bool cancelled = false;
    std::vector<CancellableWait*> waiters;  // registration order: deterministic wake-up order
};
}  // namespace detail

class CancellationToken {
  public:
    CancellationToken() = default;
    bool cancelled() const noexcept { return state_ && state_->cancelled; }
    bool can_be_cancelled() const noexcept { return static_cast<bool>(state_); }
    detail::CancellationState* state() const noexcept { return state_.get(); }

  private:
    friend class CancellationSource;
    friend struct detail::CancellableWait;
    explicit CancellationToken(std::shared_ptr<detail::CancellationState> s)
        : state_(std::move(s)) {}
    std::shared_ptr<detail::CancellationState> state_;
};

class CancellationSource {
  public:
    CancellationSource() : state_(std::make_shared<detail::CancellationState>()) {}
    CancellationToken token() const { return CancellationToken{state_}; }
    bool cancelled() const noexcept { return state_->cancelled; }
    /// Wakes every sleep waiting on a token of this source, in the order they started waiting.
    void cancel(Runtime& runtime);

  private:
    std::shared_ptr<detail::CancellationState> state_;
};

namespace detail {
// Holds the cancellation state by raw pointer, never by shared_ptr: g++ 12 destroys a co_await
// operand's non-trivial members twice (docs/architecture.md, compiler notes). The token the caller
// passed lives in the caller's frame for the whole wait, and keeps the state alive.
struct CancellableWait {
    Runtime& runtime;
    Instant at;
    CancellationState* state = nullptr;  // null: the token can never be cancelled
    std::coroutine_handle<> handle;
    TimerId timer = 0;
    bool registered = false;
    bool woken_by_cancel = false;

    CancellableWait(Runtime& r, Instant a, CancellationState* s) : runtime(r), at(a), state(s) {}
    CancellableWait(const CancellableWait&) = delete;
    CancellableWait& operator=(const CancellableWait&) = delete;
    ~CancellableWait() { unregister(); }

    bool await_ready() const noexcept { return state != nullptr && state->cancelled; }
    void await_suspend(std::coroutine_handle<> h);
    /// True when the full duration passed, false when cancelled.
    bool await_resume() noexcept {
        unregister();
        return !woken_by_cancel && !(state != nullptr && state->cancelled);
    }
    void unregister() noexcept;
};
}  // namespace detail

/// `co_await sleep(rt, d, token)` is true after the full duration, false if cancelled first. The
/// token must outlive the wait (keep it in the awaiting coroutine's frame, as a parameter or
/// local).
inline detail::CancellableWait sleep(Runtime& rt, Duration d, const CancellationToken& token) {
    return detail::CancellableWait{rt, rt.now() + d, token.state()};
}

// ---------------------------------------------------------------------------------------------
// Timeouts: race a task against a timer.
//
// The task keeps running to completion after a timeout (its result is dropped), as a real request
// whose response is lost: the far side may still act on it. That is the semantics callers of a
// remote service must handle anyway, and it needs no cooperative cancellation inside the task.
//
// The race costs one timer and nothing else: the task starts at once, as a plain `co_await` would
// start it, with the racing coroutine as its continuation, so a task that finishes in time resumes
// its caller directly. Only a task that loses the race is handed to the runtime (`adopt`), which
// owns it until it finishes. (A race used to spawn the task and share a state with it: two events,
// two frames and a shared_ptr per call, and timed calls are most of a run's port calls.)

namespace detail {
// Holds only references and integers: g++ 12 destroys a co_await operand's non-trivial members
// twice (docs/architecture.md, compiler notes).
template <typename T>
struct RaceAwaiter {
    Runtime& runtime;
    Task<T>& task;
    Instant deadline;
    TimerId timer = 0;
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) {
        timer = runtime.schedule(deadline, h);
        task.handle().promise().continuation = h;
        return task.handle();
    }
    /// True if the task finished first; then its timer must not fire, it would resume a caller
    /// that has moved on. False if the timer did; then the runtime takes the task over.
    bool await_resume() {
        if (!task.handle().done()) {
            runtime.adopt(std::move(task));
            return false;
        }
        runtime.cancel_timer(timer);
        return true;
    }
};
}  // namespace detail

/// `co_await race(rt, task, deadline)` starts `task` against a timer: true if the task finished
/// first (then `co_await std::move(task)` gives its value or rethrows, without suspending), false
/// if `deadline` came first (then the runtime owns the task and runs it on; `task` is empty).
/// with_timeout in a caller's own frame: port calls, most of a run's awaits, use it directly.
template <typename T>
detail::RaceAwaiter<T> race(Runtime& rt, Task<T>& task, Instant deadline) {
    return detail::RaceAwaiter<T>{rt, task, deadline};
}

/// The task's value, or nullopt if `limit` passed first. Exceptions from the task propagate.
template <typename T>
Task<std::optional<T>> with_timeout(Runtime& rt, Duration limit, Task<T> task) {
    const bool finished = co_await race(rt, task, rt.now() + limit);
    if (!finished)
        co_return std::nullopt;
    co_return co_await std::move(task);
}

/// True if the task finished within `limit`, false on timeout. Exceptions from the task propagate.
Task<bool> with_timeout(Runtime& rt, Duration limit, Task<void> task);

}  // namespace scaleup
