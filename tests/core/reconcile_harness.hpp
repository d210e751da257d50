// ReconcileHarness: the delivery sweeper, the reconciler and scale-down wired to the in-test fakes
// on a simulated runtime, with helpers to run one pass to completion.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/reconcile/delivery_sweeper.hpp"
#include "core/reconcile/reconciler.hpp"
#include "core/reconcile/scale_down.hpp"
#include "sim/runtime/simulated_runtime.hpp"
#include "tests/core/fakes.hpp"
#include "tests/core/identifier_text.hpp"

namespace scaleup::testing {

struct ReconcileHarness {
    explicit ReconcileHarness(ScaleUpConfig c = {}, std::uint64_t seed = 7)
        : rt(seed), config(std::move(c)) {}

    sim::SimulatedRuntime rt;
    ScaleUpConfig config;
    MetricsRegistry metrics;
    FakeQueue queue{rt};
    FakeFleet fleet{rt};
    FakeLedger ledger{rt};
    FakeGitHub github{rt};
    InstallationTokenCache tokens{rt, github, config, metrics};
    DeliverySweeper sweeper{rt, github, tokens, config, metrics};
    Reconciler reconciler{rt, config, github, tokens, queue, ledger, metrics};
    ScaleDown scale_down{rt, config, github, tokens, fleet, ledger, metrics};

    SweepReport sweep(Duration budget = minutes(1)) {
        SweepReport out;
        rt.spawn(sweep_into(sweeper, rt.now() + budget, out));
        rt.run();
        return out;
    }
    ReconcileReport reconcile(Duration budget = minutes(1)) {
        ReconcileReport out;
        rt.spawn(reconcile_into(reconciler, rt.now() + budget, out));
        rt.run();
        return out;
    }
    ScaleDownReport scale_down_once(Duration budget = minutes(1)) {
        ScaleDownReport out;
        rt.spawn(scale_down_into(scale_down, rt.now() + budget, out));
        rt.run();
        return out;
    }

    static Task<void> sweep_into(DeliverySweeper& s, Instant deadline, SweepReport& out) {
        out = co_await s.sweep_once(deadline);
    }
    static Task<void> reconcile_into(Reconciler& r, Instant deadline, ReconcileReport& out) {
        out = co_await r.reconcile_once(deadline);
    }
    static Task<void> scale_down_into(ScaleDown& s, Instant deadline, ScaleDownReport& out) {
        out = co_await s.sweep_once(deadline);
    }
};

/// One attempt in the App's delivery log.
inline HookDelivery hook_attempt(std::int64_t id, std::string guid, Instant at, int status_code,
                                 std::string event = "workflow_job",
                                 std::string action = "queued") {
    HookDelivery d;
    d.id = id;
    d.guid = std::move(guid);
    d.delivered_at = at;
    d.status_code = status_code;
    d.status = status_code >= 200 && status_code <= 299 ? "OK" : "Invalid HTTP Response: 502";
    if (status_code == 0)
        d.status = "failed to connect to host";
    d.event = std::move(event);
    d.action = std::move(action);
    return d;
}

/// A job GitHub reports queued for organization "acme", repository "app".
inline QueuedJob queued_job(std::int64_t job_id, Instant created_at,
                            std::vector<std::string> labels = {"self-hosted", "linux"}) {
    return QueuedJob{job_id, job_id * 10, "acme", "app", std::move(labels), created_at};
}

}  // namespace scaleup::testing
