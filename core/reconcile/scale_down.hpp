// ScaleDown: terminates the instances that can no longer run a job, gives their slots back, and
// cleans up what others left behind.
//
// Each sweep reads the ledger's held slots, the pool's instances (DescribeInstances filtered on the
// `scaleup:labels` tag BatchHandler puts on every launch) and, per runner owner (from the
// `scaleup:owner` tag, `reconcile_owners`, and every owner seen before), the runners GitHub lists.
// An instance's runner is the one named `runner_name_prefix` + instance id. Rules:
//
// | instance's runner                                   | verdict                               |
// |-----------------------------------------------------|---------------------------------------|
// | busy                                                | kept, always (`kept_busy`)            |
// | online and idle, less than `runner_idle_timeout`    | kept: it is waiting for a job         |
// | online and idle for `runner_idle_timeout` (or for   | deregistered, then terminated (idle): |
// | `runner_idle_timeout_under_pressure` while messages | its job was taken by another runner   |
// | wait for capacity)                                  | or cancelled (jobs are not bound)     |
// | offline, idle, seen online before (ephemeral)       | terminated: its one job is done       |
// | not listed any more, listed before                  | terminated: ran its job, was removed  |
// | offline or not listed, never online, past the boot  | terminated: orphan, never came up     |
// | timeout (`runner_boot_timeout` since launched_at)   | (a JIT runner is listed offline from  |
// |                                                     | the moment its config is generated)   |
// | never online, not held in the ledger, launched more | terminated: orphan of a launch whose  |
// | than `unrecorded_grace` before the ledger was read  | commit failed or whose consumer died; |
// |                                                     | no consumer can commit it any more    |
// | anything else (booting)                             | kept                                  |
//
// The unrecorded rule keeps the maximum: such an instance counts only through its reservation's
// lease (`reservation_lease`, 5 min), so it must be gone before the lease lapses, and waiting for
// the boot timeout would be too late. `unrecorded_grace` is the handler timeout plus the call
// timeout plus one minute (100 s by default): a consumer commits before its handler deadline, and
// the minute covers a clock that disagrees with EC2's.
//
// The instances a sweep condemns are terminated together, then their slots released: a slow
// ledger (each release retried through a stall) holds back no termination.
// Every termination releases the instance's slot (`release_instance`, idempotent). A slot held in
// the ledger by an instance EC2 no longer reports (it terminated itself after its job, a spot
// interruption, someone else terminated it) is released too; a runner of ours, offline and idle,
// whose instance EC2 no longer reports is deleted from GitHub (a ghost, upstream #5007). Both need
// the absence seen in two consecutive sweeps: DescribeInstances is eventually consistent just
// after a launch, and a runner registered between our describe and our list has an instance EC2
// did report a moment later. Nothing is terminated, released or deleted on information that could
// not be read: a failed describe skips the sweep, a failed runner list skips that owner, and a
// ledger that does not answer within a quarter of the sweep skips the rules that read it (the
// unrecorded rule and the release of missing instances), not the terminations.
//
// What was seen of a runner (listed, online) is remembered between sweeps. After a restart it is
// lost, and a finished instance is then terminated as an orphan once its boot timeout has passed:
// later, never wrongly.
//
// Outcomes: `scaleup_scale_down_total{action=terminated_orphan|terminated_finished|
// terminated_idle|released_missing|kept_busy|deleted_ghost_runner}`; failed calls:
// `scaleup_scale_down_errors_total{call}`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/capacity_pressure.hpp"
#include "core/common/lookup_table.hpp"
#include "core/common/result.hpp"
#include "core/common/view_set.hpp"
#include "core/config/scale_up_config.hpp"
#include "core/github/installation_token_cache.hpp"
#include "core/metrics/metrics.hpp"
#include "core/ports/fleet.hpp"
#include "core/ports/github.hpp"
#include "core/ports/ledger.hpp"
#include "core/reconcile/owner_github.hpp"
#include "core/runtime/runtime.hpp"

namespace scaleup {

struct ScaleDownReport {
    std::vector<Identifier> terminated_orphan;
    std::vector<Identifier> terminated_finished;
    std::vector<Identifier> terminated_idle;
    std::vector<Identifier> released_missing;
    std::vector<Identifier> kept_busy;  // every busy instance, every sweep
    std::vector<std::int64_t> deleted_ghost_runners;
    int errors = 0;  // failed calls; what they concerned is left for the next sweep
    bool describe_failed = false;
};

class ScaleDown {
  public:
    ScaleDown(Runtime& rt, const ScaleUpConfig& config, GitHubPort& github,
              InstallationTokenCache& tokens, FleetPort& fleet, LedgerPort& ledger,
              MetricsRegistry& metrics);
    // Not copyable: `described_last_` views the strings of this object's own
    // `described_last_instances_`, so a copy's views would point into the original.
    ScaleDown(const ScaleDown&) = delete;
    ScaleDown& operator=(const ScaleDown&) = delete;

    /// One sweep; finishes by `deadline`. Never throws for a service failure.
    Task<ScaleDownReport> sweep_once(Instant deadline);
    /// Sweeps every `interval` until cancelled; every `scale_down_pressure_interval` instead while
    /// the consumers defer messages for want of a slot (see `hurry_on`).
    Task<void> run(CancellationToken cancel, Duration interval);
    /// The consumers' deferrals that make sweeps come sooner. It must outlive this object.
    void hurry_on(const CapacityPressure& pressure) { pressure_ = &pressure; }

  private:
    enum class Verdict { keep, keep_busy, orphan, finished, idle };
    using Runners = std::map<RunnerOwner, std::vector<RunnerInfo>>;  // owners whose list was read
    using GhostKey = std::pair<RunnerOwner, std::int64_t>;
    /// What the ledger said at the start of the sweep, if it could be read.
    struct HeldSlots {
        bool read = false;
        Instant read_at{};
        ViewSet instance_ids;  // views into the sweep's ledger read
    };
    /// An instance this sweep terminates, and why.
    struct Condemned {
        Identifier instance_id;
        Verdict verdict = Verdict::orphan;
        std::string owner;
        std::int64_t runner_id = 0;
    };

    Task<Runners> list_runners(const std::vector<InstanceInfo>& instances, Instant deadline,
                               ScaleDownReport& report);
    Verdict judge(const InstanceInfo& instance, const RunnerInfo* runner, bool unrecorded);
    bool unrecorded(const InstanceInfo& instance, const HeldSlots& held) const;
    Task<void> settle_instances(const std::vector<InstanceInfo>& instances, const Runners& runners,
                                const HeldSlots& held, Instant deadline, ScaleDownReport& report);
    Task<void> terminate_all(const std::vector<Condemned>& condemned, Instant deadline,
                             ScaleDownReport& report);
    void record_termination(const Condemned& condemned, ScaleDownReport& report);
    Task<void> delete_ghosts(const Runners& runners, const ViewSet& live, Instant deadline,
                             ScaleDownReport& report);
    Task<void> release_missing(const std::vector<LaunchedInstance>& held, const ViewSet& live,
                               Instant deadline, ScaleDownReport& report);
    void forget_gone(const ViewSet& live);
    /// `runner_idle_timeout`, or the shorter one under capacity pressure.
    Duration idle_timeout() const;
    /// Adds `by` to the action's counter; a zero adds no label set.
    void count(const char* action, std::size_t by = 1);
    void count_error(const char* call, ScaleDownReport& report);

    Runtime& rt_;
    const ScaleUpConfig& config_;
    OwnerGitHub github_;
    FleetPort& fleet_;
    LedgerPort& ledger_;
    MetricsRegistry& metrics_;
    std::string pool_tag_;  // the `scaleup:labels` value of this pool's instances
    // What is known of each instance, by id. Each sweep looks up every live instance in these
    // (hashed: ids share a long prefix, and a tree paid a full compare per level); none is listed.
    const CapacityPressure* pressure_ = nullptr;  // set by hurry_on
    /// What earlier sweeps saw of an instance's runner. One entry per instance, not one per
    /// fact: every entry costs a node and a copy of the 19-character id.
    struct RunnerSeen {
        bool listed = false;                // GitHub has listed it
        bool online = false;                // it was seen online or busy
        std::optional<Instant> idle_since;  // online and idle since (first seen so)
    };
    LookupTable<Identifier, RunnerSeen> seen_;  // by instance id, once its runner was listed
    LookupSet<Identifier> missing_last_;        // held instances EC2 did not report last sweep
    // Every instance EC2 reported last sweep: the sweep's own answer, kept, and views of its ids.
    std::vector<InstanceInfo> described_last_instances_;
    ViewSet described_last_;
    std::set<GhostKey> ghosts_last_;     // our offline runners without an instance last sweep
    std::set<RunnerOwner> owners_;       // every owner seen: its ghosts are checked later too
    LookupSet<std::string> owner_tags_;  // the owner tags already parsed into owners_
};

}  // namespace scaleup
