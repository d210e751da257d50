#include "adapters/asio_runtime.hpp"

#include <chrono>
#include <random>

namespace scaleup::adapters {

namespace {
std::uint64_t entropy_seed() {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}
}  // namespace

AsioRuntime::AsioRuntime(boost::asio::io_context& io) : io_(io), random_(entropy_seed()) {}

AsioRuntime::~AsioRuntime() {
    destroy_spawned_tasks();
    timers_.clear();
}

Instant AsioRuntime::now() const noexcept {
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    return Instant{std::chrono::duration_cast<Duration>(since_epoch)};
}

TimerId AsioRuntime::schedule(Instant at, std::coroutine_handle<> h) {
    const TimerId id = next_id_++;
    const Duration delay = std::max(Duration{0}, at - now());
    auto timer = std::make_unique<boost::asio::steady_timer>(io_);
    timer->expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay));
    timer->async_wait([this, id, h](const boost::system::error_code& ec) {
        if (ec == boost::asio::error::operation_aborted)
            return;
        timers_.erase(id);
        h.resume();
    });
    timers_.emplace(id, std::move(timer));
    return id;
}

void AsioRuntime::cancel_timer(TimerId id) noexcept {
    auto it = timers_.find(id);
    if (it == timers_.end())
        return;
    it->second->cancel();
    timers_.erase(it);
}

void AsioRuntime::on_unhandled_exception(std::exception_ptr error) {
    if (!failure_)
        failure_ = error;
    io_.stop();
}

}  // namespace scaleup::adapters
