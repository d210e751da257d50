// run_periodically: the loop of every background component (sweeper, reconciler, scale-down).
//
// Runs `pass(deadline)` every `interval` until `stop` is cancelled; each pass must end by the next
// tick. The ticks are fixed: a pass that took 50 s of a 60 s interval is followed 10 s later, not
// 60 s later, so a bound such as "an orphan goes within one interval of its boot timeout" holds
// however slow the services were (a slow pass once doubled the period). An exception from one pass
// is a bug, but it must not end the component: it is counted in `runs_metric{result="exception"}`
// and traced, and the loop goes on. A component can ask to be hurried (`Hurry`): scale-down sweeps
// sooner while consumers wait for runner slots (core/common/capacity_pressure.hpp).
#pragma once

#include <algorithm>
#include <exception>
#include <functional>

#include <fmt/format.h>

#include "core/metrics/metrics.hpp"
#include "core/runtime/runtime.hpp"

namespace scaleup {

/// Brings passes forward. While `wanted(last_pass_started)` holds, checked every `after` after a
/// pass started, the next pass starts at that check instead of a whole interval after the last.
/// Empty (`wanted` unset): passes keep to the interval.
struct Hurry {
    Duration after{};
    std::function<bool(Instant)> wanted;
};

template <typename Pass>
Task<void> run_periodically(Runtime& rt, CancellationToken stop, Duration interval,
                            MetricsRegistry& metrics, const char* runs_metric,
                            const char* component, Pass pass, Hurry hurry = {}) {
    while (!stop.cancelled()) {
        const Instant started = rt.now();
        const Instant next_tick = started + interval;
        try {
            co_await pass(next_tick);
        } catch (const std::exception& e) {
            metrics.increment(runs_metric, {{"result", "exception"}});
            if (rt.tracing())
                rt.trace(component, "exception", fmt::format("what=\"{}\"", e.what()));
        }
        bool hurried = false;
        if (hurry.wanted && hurry.after > Duration{0}) {
            for (Instant check = started + hurry.after; check < next_tick && !hurried;
                 check += hurry.after) {
                if (check > rt.now()) {
                    auto pause = sleep(rt, check - rt.now(), stop);  // named (compiler notes)
                    if (!co_await pause)
                        co_return;
                }
                hurried = hurry.wanted(started);
            }
        }
        if (hurried)
            continue;
        // A named awaiter, never a temporary (docs/architecture.md, compiler notes).
        auto pause = sleep(rt, std::max(Duration{0}, next_tick - rt.now()), stop);
        if (!co_await pause)
            break;
    }
}

}  // namespace scaleup
