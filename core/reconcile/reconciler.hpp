// Reconciler: puts a job back on the queue when GitHub still reports it queued and nothing we know
// of will give it a runner.
//
// Why it exists. A queued job gets a runner only through a queue message, and a message can be
// lost on the way: GitHub never redelivers a webhook by itself, a delivery can fail before intake
// recorded it, a message can be dead-lettered or acknowledged by a consumer bug. GitHub's list of
// queued jobs is the truth those paths can lose; the reconciler compares it with the ledger every
// few minutes and sends the missing messages again (issue 4; the seed incident).
//
// Why it counts rather than pairs. Jobs are not bound to runners (service-semantics 1.7): a runner
// launched "for" job A can take any queued job B whose labels it has. So "job A has a runner in the
// ledger" does not mean A will run: A's runner may have taken B, and A waits with no runner at all
// (upstream #5026, #3130, #4262). Per job, the ledger cannot tell. What can be told is, per runner
// owner (all the pool's runners have the same labels, so they all serve every label set the pool
// serves):
//
//   demand = the jobs GitHub reports queued for that owner and the pool serves;
//   supply = runners that have not taken a job yet:
//            - idle runners: instances holding a ledger slot whose runner (name = prefix +
//              instance id) GitHub lists for that owner and not busy (booting or waiting),
//            - instances being configured: holding a slot, no runner listed yet, and launched for
//              a job of the owner that is still queued and not yet marked configured,
//            - pending launches: jobs with no instance launched for them yet whose message is
//              still coming (younger than `reconcile_min_queued_age`, or enqueued within
//              `reconcile_inflight_window`): each such message launches one runner.
//   shortfall = demand - supply, at least 0.
//
// A job enqueued within the in-flight window with no instance launched for it since counts as a
// pending launch and is not requeued. One that was launched is eligible however recent its
// message: its runner may have taken another job, and the owner's shortfall is what decides
// (waiting out the window would leave the youngest job of a chain of taken runners unserved ten
// minutes a round; exploration found it). Young jobs are left to their message. Exactly the
// shortfall is requeued, never more, and only eligible jobs: jobs with no configured runner first
// (the consumer launches for them at once), then the others, the oldest first within each, and at
// most `reconcile_max_requeues_per_run` per pass. A requeued message carries `attempt` = previous
// requeues + 1 and is noted in the ledger
// (`note_enqueued`), so the next run sees it in flight. Every queued job gets one counted result
// (`scaleup_reconciler_jobs_total{result}`): requeued, has_runner (not requeued: it has a runner
// and supply covers the owner), covered (no runner, but an idle runner of the owner will take it),
// in_flight, too_young, not_served, limit_reached, or error (a ledger lookup or send failed).
//
// Any failure (token, list, ledger) skips what it concerns for this run and is counted; the next
// run tries again. Nothing is ever requeued on missing information.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/result.hpp"
#include "core/config/scale_up_config.hpp"
#include "core/github/installation_token_cache.hpp"
#include "core/metrics/metrics.hpp"
#include "core/ports/github.hpp"
#include "core/ports/ledger.hpp"
#include "core/ports/queue.hpp"
#include "core/reconcile/owner_github.hpp"
#include "core/runtime/runtime.hpp"

namespace scaleup {

struct ReconcileReport {
    std::vector<std::int64_t> requeued;  // job ids, in the order they were sent
    int has_runner = 0;
    int covered = 0;
    int in_flight = 0;
    int too_young = 0;
    int not_served = 0;
    int limit_reached = 0;
    int errors = 0;         // jobs whose lookup or send failed
    int owners_failed = 0;  // owners whose queued jobs could not be listed
};

class Reconciler {
  public:
    Reconciler(Runtime& rt, const ScaleUpConfig& config, GitHubPort& github,
               InstallationTokenCache& tokens, QueuePort& queue, LedgerPort& ledger,
               MetricsRegistry& metrics);

    /// One pass over every configured owner; finishes by `deadline`. Never throws for a service
    /// failure.
    Task<ReconcileReport> reconcile_once(Instant deadline);
    /// Reconciles every `interval` until cancelled.
    Task<void> run(CancellationToken cancel, Duration interval);

  private:
    struct JobState {
        QueuedJob job;
        std::optional<std::string> configured;  // the ledger's instance for the job
        bool young = false;
        bool in_flight = false;
    };
    using Held = std::vector<LaunchedInstance>;
    using Jobs = std::vector<JobState>;

    /// Instance ids, found by a view as well.
    using InstanceIds = std::set<std::string, std::less<>>;
    /// `held` by job: (job id, instance id) pairs sorted, viewing `held`'s ids. A map of sets of
    /// copied ids made three allocations per held instance on every pass.
    using LaunchedFor = std::vector<std::pair<std::int64_t, std::string_view>>;
    static LaunchedFor launched_by_job(const Held& held);
    /// The instances held for `job`, from `launched_by_job`.
    static std::span<const LaunchedFor::value_type> launched_for_job(const LaunchedFor& launched,
                                                                     std::int64_t job);
    /// The same, as owned ids: what a requeue remembers as launched before it.
    static InstanceIds launched_ids(const LaunchedFor& launched, std::int64_t job);
    struct Pass {
        const Held& held;
        ReconcileReport& report;
        int budget = 0;  // requeues left in this run
        Instant deadline{};
        bool complete = true;         // every owner was listed: attempt counts may be pruned
        std::set<std::int64_t> seen;  // jobs listed in this pass
        LaunchedFor launched_for;     // `held` by job: built once a pass, read by every group
    };

    Task<void> reconcile_owner(RunnerOwner owner, Pass& pass);
    Task<std::optional<JobState>> look_up(QueuedJob job, Instant deadline);
    Task<void> settle_group(RunnerOwner owner, Jobs jobs, std::int64_t installation_id, Pass& pass);
    int idle_supply(const Held& held, const std::vector<RunnerInfo>& runners,
                    const Jobs& jobs) const;
    Task<bool> requeue(QueuedJob job, std::int64_t installation_id, Instant deadline,
                       InstanceIds launched_before);
    void prune_attempts(const std::set<std::int64_t>& queued);
    void count(const char* result);

    Runtime& rt_;
    const ScaleUpConfig& config_;
    OwnerGitHub github_;
    QueuePort& queue_;
    LedgerPort& ledger_;
    MetricsRegistry& metrics_;
    std::vector<std::string> pool_labels_;  // normalised config.runner_labels
    /// This reconciler's last requeue of a job: how many so far, when, and the instances already
    /// launched for the job then (an instance not among them was launched by that requeue).
    struct Requeued {
        int attempts = 0;
        Instant at{};
        InstanceIds launched_before;
    };
    bool launched_since_enqueue(const JobState& state, const LaunchedFor& launched_for) const;

    std::map<std::int64_t, Requeued> requeues_;
};

}  // namespace scaleup
