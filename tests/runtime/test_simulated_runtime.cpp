// The simulated runtime's scheduling contract: ordering, timers, timeouts, cancellation, isolation.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "sim/runtime/simulated_runtime.hpp"

using namespace scaleup;
using sim::SimulatedRuntime;

namespace {
Task<void> sleep_then_log(Runtime& rt, Duration d, std::string name,
                          std::vector<std::string>& log) {
    co_await rt.sleep(d);
    log.push_back(name);
}

Task<int> slow_value(Runtime& rt, Duration d, int v) {
    co_await rt.sleep(d);
    co_return v;
}
}  // namespace

TEST_CASE("events due at the same instant run in the order they were scheduled") {
    SimulatedRuntime rt(7);
    std::vector<std::string> log;
    for (const char* name : {"a", "b", "c", "d"}) {
        rt.spawn(sleep_then_log(rt, seconds(10), name, log));
    }
    rt.spawn(sleep_then_log(rt, seconds(5), "early", log));
    rt.run();
    CHECK(log == std::vector<std::string>{"early", "a", "b", "c", "d"});
}

TEST_CASE("work made due now runs after events already due at this instant") {
    // a and b wait in the heap for the same instant; a's wake-up spawns c, due at once. c joins
    // the queue after b, so b (scheduled earlier) still runs first.
    SimulatedRuntime rt(7);
    std::vector<std::string> log;
    rt.spawn([](Runtime& r, std::vector<std::string>& l) -> Task<void> {
        co_await r.sleep(seconds(10));
        l.push_back("a");
        r.spawn([](std::vector<std::string>& ll) -> Task<void> {
            ll.push_back("c");
            co_return;
        }(l));
        co_await r.sleep(Duration{0});
        l.push_back("a again");
    }(rt, log));
    rt.spawn(sleep_then_log(rt, seconds(10), "b", log));
    rt.run();
    CHECK(log == std::vector<std::string>{"a", "b", "c", "a again"});
}

TEST_CASE("the clock jumps straight to the next event and never runs backwards") {
    SimulatedRuntime rt(7);
    std::vector<std::string> log;
    rt.spawn(sleep_then_log(rt, hours(24), "tomorrow", log));
    rt.spawn(sleep_then_log(rt, milliseconds(1), "soon", log));
    CHECK(rt.step());  // starts the first task
    CHECK(rt.step());  // starts the second
    CHECK(rt.step());
    CHECK(log == std::vector<std::string>{"soon"});
    CHECK(rt.now() == sim::kSimulationEpoch + milliseconds(1));
    CHECK(rt.step());
    CHECK(rt.now() == sim::kSimulationEpoch + hours(24));
    CHECK_FALSE(rt.step());
    CHECK(rt.events_processed() == 4);
}

TEST_CASE("run_until stops at the deadline and leaves later events queued") {
    SimulatedRuntime rt(7);
    std::vector<std::string> log;
    rt.spawn(sleep_then_log(rt, seconds(1), "one", log));
    rt.spawn(sleep_then_log(rt, seconds(3), "three", log));
    rt.run_until(sim::kSimulationEpoch + seconds(2));
    CHECK(log == std::vector<std::string>{"one"});
    CHECK(rt.now() == sim::kSimulationEpoch + seconds(2));
    CHECK(rt.pending_events() == 1);
    rt.run();
    CHECK(log == std::vector<std::string>{"one", "three"});
}

TEST_CASE("a sleep of zero yields to tasks already ready") {
    SimulatedRuntime rt(7);
    std::vector<std::string> log;
    rt.spawn([](Runtime& r, std::vector<std::string>& l) -> Task<void> {
        l.push_back("first-start");
        co_await r.sleep(Duration{0});
        l.push_back("first-end");
    }(rt, log));
    rt.spawn([](Runtime&, std::vector<std::string>& l) -> Task<void> {
        l.push_back("second");
        co_return;
    }(rt, log));
    rt.run();
    CHECK(log == std::vector<std::string>{"first-start", "second", "first-end"});
    CHECK(rt.now() == sim::kSimulationEpoch);
}

TEST_CASE("with_timeout returns the value when the task beats the deadline") {
    SimulatedRuntime rt(7);
    std::optional<int> result;
    Instant finished_at;
    rt.spawn([](Runtime& r, std::optional<int>& out, Instant& at) -> Task<void> {
        out = co_await with_timeout(r, seconds(10), slow_value(r, seconds(2), 42));
        at = r.now();
    }(rt, result, finished_at));
    rt.run();
    REQUIRE(result.has_value());
    CHECK(*result == 42);
    CHECK(finished_at == sim::kSimulationEpoch + seconds(2));
    // The cancelled deadline timer never fires: the run ended at 2 s, not 10 s.
    CHECK(rt.now() == sim::kSimulationEpoch + seconds(2));
}

TEST_CASE("with_timeout gives up at the deadline, the abandoned task still finishes") {
    SimulatedRuntime rt(7);
    std::optional<int> result{-1};
    Instant gave_up_at;
    std::vector<std::string> log;
    rt.spawn([](Runtime& r, std::optional<int>& out, Instant& at) -> Task<void> {
        out = co_await with_timeout(r, seconds(3), slow_value(r, seconds(60), 42));
        at = r.now();
    }(rt, result, gave_up_at));
    rt.run();
    CHECK_FALSE(result.has_value());
    CHECK(gave_up_at == sim::kSimulationEpoch + seconds(3));
    CHECK(rt.now() == sim::kSimulationEpoch + seconds(60));
    CHECK(rt.live_tasks() == 0);
}

TEST_CASE("race in the caller's frame: a winner's value is awaited, a loser is the runtime's") {
    SimulatedRuntime rt(7);
    struct Seen {
        bool quick_won = false, quick_valid = false, slow_won = true, slow_valid = true;
        int value = 0;
        Instant value_at{}, slow_lost_at{};
    } seen;
    rt.spawn([](Runtime& r, Seen& out) -> Task<void> {
        Task<int> quick = slow_value(r, seconds(2), 42);
        out.quick_won = co_await race(r, quick, r.now() + seconds(10));
        out.quick_valid = quick.valid();
        out.value = co_await std::move(quick);  // already done: no suspension
        out.value_at = r.now();
        Task<int> slow = slow_value(r, seconds(60), 7);
        out.slow_won = co_await race(r, slow, r.now() + seconds(3));
        out.slow_valid = slow.valid();
        out.slow_lost_at = r.now();
    }(rt, seen));
    rt.run();
    CHECK(seen.quick_won);
    CHECK(seen.quick_valid);
    CHECK(seen.value == 42);
    CHECK(seen.value_at == sim::kSimulationEpoch + seconds(2));
    CHECK_FALSE(seen.slow_won);
    CHECK_FALSE(seen.slow_valid);  // handed to the runtime
    CHECK(seen.slow_lost_at == sim::kSimulationEpoch + seconds(5));
    // The loser ran on to its end under the runtime, and nothing is left behind.
    CHECK(rt.now() == sim::kSimulationEpoch + seconds(62));
    CHECK(rt.live_tasks() == 0);
}

TEST_CASE("with_timeout passes the task's exception on") {
    SimulatedRuntime rt(7);
    std::string caught;
    bool completed = true;
    rt.spawn([](Runtime& r, std::string& out, bool& done) -> Task<void> {
        try {
            done = co_await with_timeout(r, seconds(5), [](Runtime& rr) -> Task<void> {
                co_await rr.sleep(seconds(1));
                throw std::runtime_error("dependency down");
            }(r));
        } catch (const std::runtime_error& e) {
            out = e.what();
        }
    }(rt, caught, completed));
    rt.run();
    CHECK(caught == "dependency down");
}

TEST_CASE("with_timeout costs no event of its own: a winning task resumes its caller directly") {
    SimulatedRuntime rt(7);
    std::optional<int> slow;
    std::optional<int> instant;
    rt.spawn([](Runtime& r, std::optional<int>& a, std::optional<int>& b) -> Task<void> {
        a = co_await with_timeout(r, seconds(10), slow_value(r, seconds(2), 42));
        b = co_await with_timeout(r, seconds(10), [](int v) -> Task<int> { co_return v; }(7));
    }(rt, slow, instant));
    rt.run();
    CHECK(slow == 42);
    CHECK(instant == 7);
    // The spawn's start and the 2 s sleep's wake-up; no event starts the raced tasks, none hands
    // their results back, and the cancelled deadlines never run.
    CHECK(rt.events_processed() == 2);
}

TEST_CASE("a task that lost its race is destroyed with the runtime if still suspended") {
    struct Guard {
        bool& destroyed;
        ~Guard() { destroyed = true; }
    };
    bool destroyed = false;
    bool gave_up = false;
    {
        SimulatedRuntime rt(7);
        rt.spawn([](Runtime& r, bool& flag, bool& out) -> Task<void> {
            out = !co_await with_timeout(r, seconds(3), [](Runtime& rr, bool& f) -> Task<void> {
                const Guard guard{f};
                co_await rr.sleep(hours(1));
            }(r, flag));
        }(rt, destroyed, gave_up));
        rt.run_until(sim::kSimulationEpoch + seconds(10));
        CHECK(gave_up);
        CHECK_FALSE(destroyed);
        CHECK(rt.live_tasks() == 1);  // the adopted task, still asleep
    }
    CHECK(destroyed);
}

TEST_CASE("cancellation wakes sleeping tasks early, in the order they started waiting") {
    SimulatedRuntime rt(7);
    CancellationSource source;
    std::vector<std::string> log;
    for (const char* name : {"x", "y"}) {
        rt.spawn([](Runtime& r, CancellationToken token, std::string n,
                    std::vector<std::string>& l) -> Task<void> {
            const bool slept = co_await sleep(r, hours(1), token);
            l.push_back(n + (slept ? ":slept" : ":cancelled") + "@" + format_instant(r.now()));
        }(rt, source.token(), name, log));
    }
    rt.spawn([](Runtime& r, CancellationSource& s) -> Task<void> {
        co_await r.sleep(seconds(30));
        s.cancel(r);
    }(rt, source));
    rt.run();
    const std::string at = format_instant(sim::kSimulationEpoch + seconds(30));
    CHECK(log == std::vector<std::string>{"x:cancelled@" + at, "y:cancelled@" + at});
    CHECK(rt.now() == sim::kSimulationEpoch + seconds(30));  // the hour-long timers were removed
}

TEST_CASE("sweeping out cancelled timers keeps every live one, in order") {
    // 1,000 sleepers, 900 of them cancelled in waves: the heap is compacted several times while
    // live timers (and the wake-ups the cancellations queue) sit in it.
    SimulatedRuntime rt(7);
    constexpr int kSleepers = 1000;
    std::vector<CancellationSource> sources(kSleepers);
    std::vector<std::string> log;
    for (int i = 0; i < kSleepers; ++i) {
        // Durations repeat (i % 37), so equal instants must keep their start order.
        const Duration nap = minutes(10) + seconds(i % 37);
        rt.spawn([](Runtime& r, CancellationToken token, Duration d, int n,
                    std::vector<std::string>& l) -> Task<void> {
            const bool slept = co_await sleep(r, d, token);
            if (slept)
                l.push_back(std::to_string(n) + "@" + format_instant(r.now()));
        }(rt, sources[i].token(), nap, i, log));
    }
    for (int wave = 0; wave < 3; ++wave) {
        rt.spawn([](Runtime& r, std::vector<CancellationSource>& s, int w) -> Task<void> {
            co_await r.sleep(seconds(1 + w));
            for (std::size_t i = 0; i < s.size(); ++i) {
                if (i % 10 != 0 && static_cast<int>(i % 3) == w)
                    s[i].cancel(r);
            }
        }(rt, sources, wave));
    }
    rt.run_until(sim::kSimulationEpoch + seconds(5));
    CHECK(rt.pending_events() == kSleepers / 10);
    // Swept: without the sweeps all 900 cancelled entries would still be queued (until 10 min).
    CHECK(rt.queued_entries() < kSleepers / 2);
    rt.run();

    std::vector<std::string> expected;
    for (int second = 0; second < 37; ++second) {
        for (int i = 0; i < kSleepers; i += 10) {
            if (i % 37 == second) {
                expected.push_back(
                    std::to_string(i) + "@" +
                    format_instant(sim::kSimulationEpoch + minutes(10) + seconds(second)));
            }
        }
    }
    CHECK(log == expected);
}

TEST_CASE("a sleep on an already cancelled token returns at once") {
    SimulatedRuntime rt(7);
    CancellationSource source;
    source.cancel(rt);
    bool slept = true;
    rt.spawn([](Runtime& r, CancellationToken token, bool& out) -> Task<void> {
        out = co_await sleep(r, hours(1), token);
    }(rt, source.token(), slept));
    rt.run();
    CHECK_FALSE(slept);
    CHECK(rt.now() == sim::kSimulationEpoch);
}

TEST_CASE("an uncancelled token sleeps its full duration") {
    SimulatedRuntime rt(7);
    CancellationSource source;
    bool slept = false;
    rt.spawn([](Runtime& r, CancellationToken token, bool& out) -> Task<void> {
        out = co_await sleep(r, minutes(2), token);
    }(rt, source.token(), slept));
    rt.run();
    CHECK(slept);
    CHECK(rt.now() == sim::kSimulationEpoch + minutes(2));
    source.cancel(rt);  // nobody waits any more: a no-op
    rt.run();
}

TEST_CASE("two simulations in one process do not share state") {
    SimulatedRuntime a(99);
    SimulatedRuntime b(99);
    std::vector<std::string> log_a, log_b;
    a.spawn(sleep_then_log(a, seconds(1), "a", log_a));
    b.spawn(sleep_then_log(b, seconds(2), "b", log_b));
    a.run();
    CHECK(a.now() == sim::kSimulationEpoch + seconds(1));
    CHECK(b.now() == sim::kSimulationEpoch);
    b.run();
    CHECK(log_a == std::vector<std::string>{"a"});
    CHECK(log_b == std::vector<std::string>{"b"});
    CHECK(a.random().next_u64() == b.random().next_u64());
}

TEST_CASE("run_until never runs an event past its deadline behind a cancelled timer") {
    SimulatedRuntime rt(7);
    std::vector<std::string> log;
    // with_timeout cancels its 10 s deadline timer when the task finishes at 1 s.
    rt.spawn([](Runtime& r, std::vector<std::string>& l) -> Task<void> {
        (void)co_await with_timeout(r, seconds(10), [](Runtime& rr) -> Task<int> {
            co_await rr.sleep(seconds(1));
            co_return 1;
        }(r));
        l.push_back("raced");
    }(rt, log));
    rt.spawn(sleep_then_log(rt, seconds(20), "late", log));
    rt.run_until(sim::kSimulationEpoch + seconds(15));
    CHECK(log == std::vector<std::string>{"raced"});
    CHECK(rt.now() == sim::kSimulationEpoch + seconds(15));
}

TEST_CASE("a cancellable sleep in a loop is woken by cancellation (g++ 12 awaiter rule)") {
    SimulatedRuntime rt(7);
    CancellationSource stop;
    int rounds = 0;
    rt.spawn([](Runtime& r, CancellationToken token, int& n) -> Task<void> {
        while (co_await sleep(r, seconds(10), token))
            ++n;
    }(rt, stop.token(), rounds));
    rt.spawn([](Runtime& r, CancellationSource& s) -> Task<void> {
        co_await r.sleep(seconds(35));
        s.cancel(r);
    }(rt, stop));
    rt.run();
    CHECK(rounds == 3);
    CHECK(rt.now() == sim::kSimulationEpoch + seconds(35));
}
