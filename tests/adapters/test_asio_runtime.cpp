// The production runtime resumes the same Tasks from Boost.Asio timers.
#include <utility>

#include <catch2/catch.hpp>

#include "adapters/asio_runtime.hpp"

using namespace scaleup;

TEST_CASE("the Asio runtime runs sleeps, spawns and timeouts with the same Task type") {
    boost::asio::io_context io;
    adapters::AsioRuntime rt(io);
    std::optional<int> fast;
    std::optional<int> slow{-1};
    const Instant start = rt.now();
    rt.spawn([](Runtime& r, std::optional<int>& f, std::optional<int>& s) -> Task<void> {
        auto value_after = [](Runtime& rr, Duration d, int v) -> Task<int> {
            co_await rr.sleep(d);
            co_return v;
        };
        f = co_await with_timeout(r, milliseconds(500), value_after(r, milliseconds(5), 7));
        s = co_await with_timeout(r, milliseconds(5), value_after(r, milliseconds(50), 8));
    }(rt, fast, slow));
    io.run();
    CHECK(fast == std::optional<int>{7});
    CHECK_FALSE(slow.has_value());
    CHECK(rt.now() - start >= milliseconds(10));
    CHECK(rt.live_tasks() == 0);
    CHECK_FALSE(rt.failure());
}
