// Task<T> on the simulated runtime: values, exceptions, nesting, spawning and completion.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "sim/runtime/simulated_runtime.hpp"

using namespace scaleup;
using sim::SimulatedRuntime;

namespace {
Task<int> add_after(Runtime& rt, int a, int b, Duration delay) {
    co_await rt.sleep(delay);
    co_return a + b;
}

Task<int> nested(Runtime& rt, int depth) {
    if (depth == 0)
        co_return 0;
    const int below = co_await nested(rt, depth - 1);
    co_return below + 1;
}

Task<std::string> fails(Runtime& rt) {
    co_await rt.sleep(seconds(1));
    throw std::runtime_error("boom");
}
}  // namespace

TEST_CASE("a spawned task runs to completion and its value comes out of co_await") {
    SimulatedRuntime rt(1);
    int result = 0;
    rt.spawn([](Runtime& r, int& out) -> Task<void> {
        out = co_await add_after(r, 2, 3, seconds(5));
    }(rt, result));
    CHECK(rt.live_tasks() == 1);
    rt.run();
    CHECK(result == 5);
    CHECK(rt.now() == sim::kSimulationEpoch + seconds(5));
    CHECK(rt.live_tasks() == 0);
}

TEST_CASE("nested awaits of tasks that finish synchronously pass values up the chain") {
    // Depth 1,000: symmetric transfer needs tail calls, which sanitizer builds do not guarantee, so
    // a far deeper chain would test the optimiser rather than the Task type.
    SimulatedRuntime rt(1);
    int result = -1;
    rt.spawn(
        [](Runtime& r, int& out) -> Task<void> { out = co_await nested(r, 1'000); }(rt, result));
    rt.run();
    CHECK(result == 1'000);
}

TEST_CASE("an exception thrown in a task propagates to its awaiter") {
    SimulatedRuntime rt(1);
    std::string caught;
    rt.spawn([](Runtime& r, std::string& out) -> Task<void> {
        try {
            (void)co_await fails(r);
        } catch (const std::runtime_error& e) {
            out = e.what();
        }
    }(rt, caught));
    rt.run();
    CHECK(caught == "boom");
}

TEST_CASE("an exception escaping a spawned task stops the simulation with it") {
    SimulatedRuntime rt(1);
    rt.spawn([](Runtime& r) -> Task<void> {
        co_await r.sleep(seconds(1));
        throw std::logic_error("invariant broken");
    }(rt));
    CHECK_THROWS_WITH(rt.run(), "invariant broken");
    CHECK(rt.live_tasks() == 0);
}

TEST_CASE("tasks still suspended when the runtime is destroyed are destroyed with it") {
    auto alive = std::make_shared<int>(0);
    {
        SimulatedRuntime rt(1);
        for (int i = 0; i < 3; ++i) {
            rt.spawn([](Runtime& r, std::shared_ptr<int> keep) -> Task<void> {
                co_await r.sleep(hours(1));
                ++*keep;
            }(rt, alive));
        }
        rt.run_for(seconds(1));
        CHECK(alive.use_count() == 4);
        CHECK(rt.live_tasks() == 3);
    }
    CHECK(alive.use_count() == 1);
    CHECK(*alive == 0);
}

TEST_CASE("a task is lazy: nothing runs until it is awaited or spawned") {
    SimulatedRuntime rt(1);
    bool ran = false;
    auto task = [](bool& flag) -> Task<void> {
        flag = true;
        co_return;
    }(ran);
    rt.run();
    CHECK_FALSE(ran);
    rt.spawn(std::move(task));
    rt.run();
    CHECK(ran);
}
