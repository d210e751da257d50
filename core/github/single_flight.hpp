// SingleFlight: concurrent requests for the same key share one operation.
//
// The first caller (the leader) starts a flight and runs the operation itself; callers arriving
// while it runs join the flight and wait for the leader's outcome, which every one of them gets a
// copy of. Nothing is cached here: once the leader finishes, the flight is gone, so a failed
// operation is simply tried again by the next caller. Flights live in an ordered map and joiners
// are resumed in the order they joined, so a simulated run stays deterministic.
#pragma once

#include <coroutine>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "core/common/result.hpp"
#include "core/runtime/runtime.hpp"

namespace scaleup {

template <typename T>
struct Flight {
    std::vector<std::coroutine_handle<>> joiners;  // in join order
    std::optional<Result<T>> outcome;
};

namespace detail {
// Holds the flight by reference: g++ 12 destroys a brace-initialised co_await operand's
// non-trivial members twice (docs/architecture.md, "Compiler notes"). The joining coroutine keeps
// the flight alive with a shared_ptr in its own frame.
template <typename T>
struct FlightJoinAwaiter {
    Flight<T>& flight;
    bool await_ready() const noexcept { return flight.outcome.has_value(); }
    void await_suspend(std::coroutine_handle<> h) { flight.joiners.push_back(h); }
    Result<T> await_resume() const { return *flight.outcome; }
};

template <typename T>
Task<Result<T>> wait_for_flight(std::shared_ptr<Flight<T>> flight) {
    co_return co_await FlightJoinAwaiter<T>{*flight};
}
}  // namespace detail

template <typename Key, typename T>
class SingleFlight {
  public:
    /// The running flight for `key`, or null.
    std::shared_ptr<Flight<T>> find(const Key& key) const {
        const auto it = flights_.find(key);
        return it == flights_.end() ? nullptr : it->second;
    }

    /// Marks `key` as in flight; the caller is its leader and must call `finish`.
    void start(const Key& key) { flights_[key] = std::make_shared<Flight<T>>(); }

    /// Ends the flight for `key` and resumes its joiners, in join order, with `outcome`.
    void finish(Runtime& rt, const Key& key, const Result<T>& outcome) {
        const auto it = flights_.find(key);
        if (it == flights_.end())
            return;
        const std::shared_ptr<Flight<T>> flight = it->second;
        flights_.erase(it);
        flight->outcome.emplace(outcome);
        for (const std::coroutine_handle<> joiner : flight->joiners)
            rt.schedule(rt.now(), joiner);
    }

    /// Waits for the flight's outcome, but not past `deadline`: a joiner whose own deadline comes
    /// first gets a transient "deadline" error, as with_retries gives when time runs out.
    static Task<Result<T>> join(Runtime& rt, std::shared_ptr<Flight<T>> flight, Instant deadline) {
        const Duration left = deadline - rt.now();
        std::optional<Result<T>> outcome =
            co_await with_timeout(rt, left, detail::wait_for_flight(std::move(flight)));
        if (!outcome) {
            co_return make_error(ErrorKind::transient, "runtime", "deadline",
                                 "the shared operation did not finish before the deadline",
                                 rt.now());
        }
        co_return std::move(*outcome);
    }

  private:
    std::map<Key, std::shared_ptr<Flight<T>>> flights_;
};

}  // namespace scaleup
