// DeliverySweeper: asks GitHub to redeliver the `workflow_job` webhooks intake failed to take.
//
// GitHub never redelivers a failed webhook on its own (service-semantics 1.5): a delivery that met
// a 5xx, a timeout or a refused connection is lost unless someone redelivers it. The sweeper does,
// as tuist's WebhookRedeliveryWorker does (service-semantics 8):
//
// - It lists the App's delivery log (`GET /app/hook/deliveries`, JWT auth), newest first, page by
//   page, until it passes the lookback window (`sweeper_lookback`, never beyond GitHub's 3-day
//   redelivery limit).
// - It keeps `workflow_job` deliveries (with `sweeper_queued_only`, action `queued` only) and
//   groups the attempts by GUID: a redelivery shares its original's GUID.
// - A GUID with any successful attempt (status code 200-299, or status "OK") is left alone. Any
//   other GUID gets its most recent attempt redelivered. A status code of 0 (connection failed or
//   timed out) is a failure.
// - It never lists with `status=failure`: that filter hides the successful redelivery of a GUID,
//   so every failed original would be redelivered again on every run, forever. Code 0 also escapes
//   that filter.
// - Redeliveries are bounded per run (`sweeper_max_redeliveries_per_run`), spaced by at least
//   `sweeper_redelivery_spacing`, oldest GUID first. A GUID this sweeper redelivered in the
//   previous sweep (or less than 30 s ago) is not redelivered again: GitHub logs the new attempt
//   only once it is made (its timeout is 10 s), so the log may not show it yet. A GUID whose
//   redeliveries keep failing is thus redelivered every other sweep while in the window.
// - A failed list skips the run (nothing is redelivered on a partial view); a failed redelivery is
//   counted and the run goes on. Neither is a crash.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/common/result.hpp"
#include "core/config/scale_up_config.hpp"
#include "core/github/installation_token_cache.hpp"
#include "core/metrics/metrics.hpp"
#include "core/ports/github.hpp"
#include "core/runtime/runtime.hpp"

namespace scaleup {

struct SweepReport {
    int pages = 0;                          // delivery log pages read
    int guids = 0;                          // workflow_job GUIDs in the window
    int succeeded = 0;                      // GUIDs with a successful attempt: left alone
    std::vector<std::int64_t> redelivered;  // attempt ids redelivered, in order
    int redeliver_errors = 0;               // redeliveries GitHub refused or that failed
    int recently_redelivered = 0;           // failed GUIDs this sweeper redelivered lately
    int limit_reached = 0;                  // failed GUIDs left for a later run
    bool list_failed = false;               // the log could not be read: nothing was done
};

class DeliverySweeper {
  public:
    DeliverySweeper(Runtime& rt, GitHubPort& github, InstallationTokenCache& tokens,
                    const ScaleUpConfig& config, MetricsRegistry& metrics);

    /// One sweep; finishes by `deadline`. Never throws for a service failure.
    Task<SweepReport> sweep_once(Instant deadline);
    /// Sweeps every `interval` until cancelled; a sweep's deadline is the next one's start.
    Task<void> run(CancellationToken cancel, Duration interval);

  private:
    struct Attempts {
        // The most recent attempt, the one to redeliver: a view into the sweep's listed window,
        // which outlives the redeliveries.
        const HookDelivery* latest = nullptr;
        Instant first_at{};  // the oldest attempt seen: how long the job has waited
        bool succeeded = false;
    };

    // The window as GitHub's pages gave it, the attempts older than the cutoff dropped: kept page
    // by page, so no attempt is moved again (a window holds hundreds of them every sweep).
    using Window = std::vector<std::vector<HookDelivery>>;
    Task<Result<Window>> list_window(Instant cutoff, Instant deadline, SweepReport& report);
    std::vector<Attempts> failed_guids(const Window& window, SweepReport& report);
    Task<void> redeliver(std::vector<Attempts> failed, Instant deadline, SweepReport& report);
    bool wanted(const HookDelivery& delivery) const;
    void count(const char* result, int by = 1);

    Runtime& rt_;
    GitHubPort& github_;
    InstallationTokenCache& tokens_;
    const ScaleUpConfig& config_;
    MetricsRegistry& metrics_;
    struct Redelivered {
        Instant at{};
        std::uint64_t sweep = 0;
    };
    /// Redelivered by this sweeper in this sweep or the previous one, or very recently.
    bool recently_redelivered(const Redelivered& last) const;

    // GUID -> this sweeper's last redelivery of it; dropped once no longer recent.
    std::map<Identifier, Redelivered> redelivered_;
    std::uint64_t sweep_ = 0;  // sweeps started
};

}  // namespace scaleup
