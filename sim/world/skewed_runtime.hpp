// SkewedRuntime: the simulation's clock as one host sees it, `skew` ahead (or behind, if negative).
//
// Clock skew is per host: the control plane's clock can drift from GitHub's, and then its JWTs are
// refused (`iat` in the future, `exp` too far ahead). The world gives the core a SkewedRuntime over
// the one simulated runtime, while the simulated services keep the true time. Timers still fire at
// the same true instant: only what `now()` reports is shifted.
#pragma once

#include "core/runtime/runtime.hpp"

namespace scaleup::sim {

class SkewedRuntime final : public Runtime {
  public:
    SkewedRuntime(Runtime& base, Duration skew) : base_(base), skew_(skew) {}
    ~SkewedRuntime() override { destroy_spawned_tasks(); }
    SkewedRuntime(const SkewedRuntime&) = delete;
    SkewedRuntime& operator=(const SkewedRuntime&) = delete;

    Instant now() const noexcept override { return base_.now() + skew_; }
    Random& random() noexcept override { return base_.random(); }
    TimerId schedule(Instant at, std::coroutine_handle<> h) override {
        return base_.schedule(at - skew_, h);
    }
    void cancel_timer(TimerId id) noexcept override { base_.cancel_timer(id); }
    ProbeCounts& probes() noexcept override { return base_.probes(); }
    bool tracing() const noexcept override { return base_.tracing(); }
    TraceDigest* begin_trace(std::string_view component, std::string_view event) override {
        return base_.begin_trace(component, event);
    }
    bool trace_text_wanted() const noexcept override { return base_.trace_text_wanted(); }
    void end_trace(std::string_view fields) override { base_.end_trace(fields); }
    void on_unhandled_exception(std::exception_ptr error) override {
        base_.on_unhandled_exception(error);
    }

    Duration skew() const noexcept { return skew_; }

  private:
    Runtime& base_;
    Duration skew_;
};

}  // namespace scaleup::sim
