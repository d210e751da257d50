#include "core/runtime/runtime.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace scaleup {

namespace {
// "00" "01" ... "99": two digits per division.
constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

char* put_two_digits(char* at, std::uint64_t n) noexcept {  // n < 100, written backwards
    at -= 2;
    at[0] = kDigitPairs[2 * n];
    at[1] = kDigitPairs[2 * n + 1];
    return at;
}
}  // namespace

void assign_duration(std::string& out, Duration d) {
    // Written by hand: every trace line starts with an instant, and fmt's parsing of the format
    // string was a few percent of a simulation. Two digits per division: the instant is
    // re-written whenever the clock moves.
    const std::int64_t ns = d.count();
    const std::uint64_t magnitude =
        ns < 0 ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
    char text[32];  // "-" + 11 digits of seconds at most + "." + 9 + "s"
    char* end = text + sizeof(text);
    char* at = end;
    *--at = 's';
    std::uint64_t fraction = magnitude % 1'000'000'000;
    *--at = static_cast<char>('0' + fraction % 10);  // nine digits: one, then four pairs
    fraction /= 10;
    for (int i = 0; i < 4; ++i) {
        at = put_two_digits(at, fraction % 100);
        fraction /= 100;
    }
    *--at = '.';
    std::uint64_t whole = magnitude / 1'000'000'000;
    while (whole >= 100) {
        at = put_two_digits(at, whole % 100);
        whole /= 100;
    }
    if (whole >= 10)
        at = put_two_digits(at, whole);
    else
        *--at = static_cast<char>('0' + whole);
    if (ns < 0)
        *--at = '-';
    out.assign(at, end);
}

std::string format_duration(Duration d) {
    std::string text;
    assign_duration(text, d);
    return text;
}

Runtime::~Runtime() = default;

TraceDigest* Runtime::begin_trace(std::string_view, std::string_view) {
    return nullptr;
}

void Runtime::end_trace(std::string_view) {}

// A spawned task runs inside this wrapper coroutine. Its promise links itself into the runtime's
// list while alive, so the runtime can destroy what is still suspended when it shuts down, and it
// reports an escaping exception instead of letting it vanish.
struct SpawnedTaskPromise : Runtime::SpawnedLink {
    Runtime& runtime;
    template <typename... Parameters>
    SpawnedTaskPromise(Runtime& rt, Parameters&...) : runtime(rt) {
        runtime.link(this);
    }
    ~SpawnedTaskPromise() { runtime.unlink(this); }
    static void* operator new(std::size_t size) { return detail::allocate_frame(size); }
    static void operator delete(void* frame, std::size_t size) noexcept {
        detail::release_frame(frame, size);
    }
    struct Handle {
        using promise_type = SpawnedTaskPromise;
        std::coroutine_handle<SpawnedTaskPromise> h;
    };
    Handle get_return_object() noexcept {
        return Handle{std::coroutine_handle<SpawnedTaskPromise>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {
        runtime.on_unhandled_exception(std::current_exception());
    }
};

namespace {
SpawnedTaskPromise::Handle run_spawned(Runtime&, Task<void> task) {
    co_await std::move(task);
}

// Becomes the continuation of a task that is already running, without resuming it.
struct BecomeContinuation {
    detail::PromiseBase& promise;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) const noexcept { promise.continuation = h; }
    void await_resume() const noexcept {}
};

// Owns the adopted frame: destroyed when the task has finished, or with the wrapper if the runtime
// shuts down first.
struct OwnedFrame {
    std::coroutine_handle<> frame;
    explicit OwnedFrame(std::coroutine_handle<> f) noexcept : frame(f) {}
    OwnedFrame(const OwnedFrame&) = delete;
    OwnedFrame& operator=(const OwnedFrame&) = delete;
    ~OwnedFrame() { frame.destroy(); }
};

SpawnedTaskPromise::Handle run_adopted(Runtime&, std::coroutine_handle<> frame,
                                       detail::PromiseBase& promise) {
    const OwnedFrame owned(frame);
    co_await BecomeContinuation{promise};
    // The task has finished: its result or exception is dropped with its frame.
}
}  // namespace

void Runtime::spawn(Task<void> task) {
    auto wrapper = run_spawned(*this, std::move(task));
    schedule(now(), wrapper.h);
}

void Runtime::adopt_started(std::coroutine_handle<> frame, detail::PromiseBase& promise) {
    // Resumed now, the wrapper runs only up to BecomeContinuation, inside this call.
    run_adopted(*this, frame, promise).h.resume();
}

void Runtime::link(SpawnedLink* node) noexcept {
    if (spawned_.next == nullptr)
        spawned_.next = spawned_.prev = &spawned_;
    node->prev = spawned_.prev;
    node->next = &spawned_;
    spawned_.prev->next = node;
    spawned_.prev = node;
    ++live_tasks_;
}

void Runtime::unlink(SpawnedLink* node) noexcept {
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->prev = node->next = nullptr;
    --live_tasks_;
}

void Runtime::destroy_spawned_tasks() noexcept {
    while (spawned_.next != nullptr && spawned_.next != &spawned_) {
        auto* promise = static_cast<SpawnedTaskPromise*>(spawned_.next);
        std::coroutine_handle<SpawnedTaskPromise>::from_promise(*promise).destroy();
    }
}

void CancellationSource::cancel(Runtime& runtime) {
    if (state_->cancelled)
        return;
    state_->cancelled = true;
    auto waiters = std::move(state_->waiters);
    state_->waiters.clear();
    for (auto* w : waiters) {
        w->registered = false;
        w->woken_by_cancel = true;
        runtime.cancel_timer(w->timer);
        runtime.schedule(runtime.now(), w->handle);
    }
}

namespace detail {

void CancellableWait::await_suspend(std::coroutine_handle<> h) {
    handle = h;
    timer = runtime.schedule(at, h);
    if (state != nullptr) {
        state->waiters.push_back(this);
        registered = true;
    }
}

void CancellableWait::unregister() noexcept {
    if (!registered)
        return;
    auto& waiters = state->waiters;
    waiters.erase(std::remove(waiters.begin(), waiters.end(), this), waiters.end());
    registered = false;
}

}  // namespace detail

Task<bool> with_timeout(Runtime& rt, Duration limit, Task<void> task) {
    const bool finished = co_await race(rt, task, rt.now() + limit);
    if (!finished)
        co_return false;
    co_await std::move(task);  // done: rethrows its exception, without suspending
    co_return true;
}

}  // namespace scaleup
