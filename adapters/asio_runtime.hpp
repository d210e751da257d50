// AsioRuntime: the production implementation of the runtime seam, on a Boost.Asio io_context.
//
// The same Tasks the simulation runs are resumed here from real timers. The daemon runs one
// io_context on one thread: a control plane waits on the network, it does not need cores, and one
// thread keeps the core's single-threaded reasoning true in production too. Time is the system
// clock (JWT claims and GitHub reset times are wall-clock), timers are steady-clock deadlines.
#pragma once

#include <utility>  // before Asio, for g++ 12

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>

#include "core/runtime/runtime.hpp"

namespace scaleup::adapters {

class AsioRuntime final : public Runtime {
  public:
    explicit AsioRuntime(boost::asio::io_context& io);
    ~AsioRuntime() override;

    Instant now() const noexcept override;
    Random& random() noexcept override { return random_; }
    TimerId schedule(Instant at, std::coroutine_handle<> h) override;
    void cancel_timer(TimerId id) noexcept override;
    void on_unhandled_exception(std::exception_ptr error) override;

    boost::asio::io_context& io() noexcept { return io_; }
    /// The first exception that escaped a spawned task, if any (the daemon logs it and exits).
    std::exception_ptr failure() const noexcept { return failure_; }

  private:
    boost::asio::io_context& io_;
    Random random_;
    TimerId next_id_ = 1;
    std::map<TimerId, std::unique_ptr<boost::asio::steady_timer>> timers_;
    std::exception_ptr failure_;
};

}  // namespace scaleup::adapters
