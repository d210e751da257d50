// The rules are in the table at the top of scale_down.hpp.
#include "core/reconcile/scale_down.hpp"

#include <algorithm>
#include <exception>
#include <limits>

#include <fmt/format.h>

#include "core/common/periodic.hpp"
#include "core/common/retry.hpp"
#include "core/consumer/instance_tags.hpp"
#include "core/consumer/job_message.hpp"

namespace scaleup {

namespace {
constexpr const char* kActionsMetric = "scaleup_scale_down_total";
constexpr const char* kErrorsMetric = "scaleup_scale_down_errors_total";
constexpr const char* kScaleDownRunsMetric = "scaleup_scale_down_runs_total";
constexpr const char* kOwnerTag = instance_tags::kOwner;
constexpr const char* kLabelsTag = instance_tags::kLabels;
}  // namespace

ScaleDown::ScaleDown(Runtime& rt, const ScaleUpConfig& config, GitHubPort& github,
                     InstallationTokenCache& tokens, FleetPort& fleet, LedgerPort& ledger,
                     MetricsRegistry& metrics)
    : rt_(rt),
      config_(config),
      github_(rt, github, tokens, config, metrics),
      fleet_(fleet),
      ledger_(ledger),
      metrics_(metrics),
      // As BatchHandler tags its launches: the normalised pool labels, comma-separated.
      pool_tag_(fmt::format("{}", fmt::join(normalise_labels(config.runner_labels), ","))) {}

Task<ScaleDownReport> ScaleDown::sweep_once(Instant deadline) {
    ScaleDownReport report;
    const RetryRules rules = aws_retry_rules(config_);
    // The ledger first: an instance committed after this read is already in EC2 when we describe.
    // A quarter of the sweep's time at most: a stalled ledger must not hold back the terminations
    // that do not need it; without its answer, only the rules that read it are skipped.
    const Instant held_read_at = rt_.now();
    const Instant held_deadline = held_read_at + (deadline - held_read_at) / 4;
    auto held = co_await with_retries<std::vector<LaunchedInstance>>(
        rt_, rules, held_deadline, [&] { return ledger_.held_instances(); });
    HeldSlots held_slots;
    if (held) {
        held_slots.read = true;
        held_slots.read_at = held_read_at;
        held_slots.instance_ids = ViewSet(held.value(), [](const LaunchedInstance& slot) {
            return std::string_view(slot.instance_id);
        });
    } else {
        count_error("held_instances", report);
    }
    // DescribeInstances is the sweep's only view of the fleet, and a read: it is tried until half
    // the sweep's time is gone, not just the configured attempts. A describe that fails one call
    // in two (the upstream incident) then costs retries, not whole sweeps and late terminations.
    InstanceTags filter{{kLabelsTag, pool_tag_}};
    RetryRules describe_rules = rules;
    describe_rules.budget.attempts = std::numeric_limits<int>::max();
    const Instant describe_deadline = rt_.now() + (deadline - rt_.now()) / 2;
    auto described = co_await with_retries<std::vector<InstanceInfo>>(
        rt_, describe_rules, describe_deadline, [&] { return fleet_.describe_instances(filter); });
    if (!described) {
        report.describe_failed = true;
        count_error("describe_instances", report);
        metrics_.increment(kScaleDownRunsMetric, {{"result", "error"}});
        co_return report;
    }
    const std::vector<InstanceInfo>& instances = described.value();
    ViewSet live(instances,
                 [](const InstanceInfo& instance) { return std::string_view(instance.id); });

    const Runners runners = co_await list_runners(instances, deadline, report);
    co_await settle_instances(instances, runners, held_slots, deadline, report);
    co_await delete_ghosts(runners, live, deadline, report);
    if (held)
        co_await release_missing(held.value(), live, deadline, report);
    forget_gone(live);

    metrics_.increment(kScaleDownRunsMetric, {{"result", report.errors == 0 ? "ok" : "error"}});
    if (rt_.tracing()) {
        rt_.tracef("scale-down", "sweep",
                   FMT_COMPILE("instances={} orphans={} finished={} missing={} busy={} ghosts={} "
                               "errors={}"),
                   instances.size(), report.terminated_orphan.size(),
                   report.terminated_finished.size(), report.released_missing.size(),
                   report.kept_busy.size(), report.deleted_ghost_runners.size(), report.errors);
    }
    // Last, as `instances` is this answer: the views in `live` point into its strings, which the
    // move leaves where they are.
    described_last_instances_ = std::move(described.value());
    described_last_ = std::move(live);
    co_return report;
}

Task<void> ScaleDown::run(CancellationToken cancel, Duration interval) {
    Hurry hurry;
    if (pressure_ != nullptr) {
        // At the slot limit, a slot comes back only when a sweep sees its instance gone.
        hurry.after = config_.scale_down_pressure_interval;
        hurry.wanted = [this](Instant last_sweep) {
            if (!pressure_->deferred_since(last_sweep))
                return false;
            SCALEUP_PROBE(rt_, scale_down_hurried);
            if (rt_.tracing())
                rt_.trace("scale-down", "hurried", "reason=capacity_deferred");
            return true;
        };
    }
    return run_periodically(
        rt_, std::move(cancel), interval, metrics_, kScaleDownRunsMetric, "scale-down",
        [this](Instant deadline) { return sweep_once(deadline); }, std::move(hurry));
}

Task<ScaleDown::Runners> ScaleDown::list_runners(const std::vector<InstanceInfo>& instances,
                                                 Instant deadline, ScaleDownReport& report) {
    for (const auto& text : config_.reconcile_owners) {
        const RunnerOwner configured = parse_owner(text);
        owners_.insert(runner_owner_of(config_, configured.owner, configured.repo));
    }
    // Parsed once per owner, not once per instance and sweep: a fleet has a few owners.
    for (const auto& instance : instances) {
        const std::string* owner = instance.tag(kOwnerTag);
        if (owner != nullptr && owner_tags_.insert(*owner))
            owners_.insert(parse_owner(*owner));
    }
    Runners runners;
    for (const auto& owner : owners_) {
        auto listed = co_await github_.list_runners(owner, deadline);
        if (listed)
            runners.emplace(owner, std::move(listed).value());
        else
            count_error("list_runners", report);
    }
    co_return runners;
}

bool ScaleDown::unrecorded(const InstanceInfo& instance, const HeldSlots& held) const {
    // A consumer commits before its handler deadline; the minute covers a clock that disagrees
    // with EC2's (scale_down.hpp).
    const Duration grace = config_.handler_timeout + config_.call_timeout + minutes(1);
    return held.read && !held.instance_ids.contains(instance.id) &&
           held.read_at - instance.launched_at >= grace;
}

ScaleDown::Verdict ScaleDown::judge(const InstanceInfo& instance, const RunnerInfo* runner,
                                    bool unrecorded) {
    const Identifier& id = instance.id;
    // A runner that never came online is given up on: past the boot timeout, or at once when no
    // consumer can record (and so configure) the instance any more.
    const bool given_up =
        unrecorded || rt_.now() - instance.launched_at >= config_.runner_boot_timeout;
    if (runner == nullptr) {
        // Listed once and gone now: GitHub removed the runner after its one job (or someone
        // deleted it); either way it will never take a job again.
        const RunnerSeen* seen = seen_.find(id);
        if (seen != nullptr && seen->listed)
            return Verdict::finished;
        return given_up ? Verdict::orphan : Verdict::keep;
    }
    RunnerSeen& seen = seen_[id];
    seen.listed = true;
    if (runner->busy) {
        seen.online = true;
        seen.idle_since.reset();
        return Verdict::keep_busy;
    }
    if (runner->online) {
        seen.online = true;
        if (!seen.idle_since)
            seen.idle_since = rt_.now();
        return rt_.now() - *seen.idle_since >= idle_timeout() ? Verdict::idle : Verdict::keep;
    }
    // Offline and idle: a JIT runner is listed offline from the moment its config exists, so this
    // is "booting" until it was seen online; after that, an ephemeral runner is done.
    if (seen.online)
        return config_.ephemeral ? Verdict::finished : Verdict::keep;
    return given_up ? Verdict::orphan : Verdict::keep;
}

Duration ScaleDown::idle_timeout() const {
    // While consumers wait for slots or instances, an idle runner (its job taken by another
    // runner, or cancelled) holds what a waiting job of another owner could use.
    const Duration pressed = config_.runner_idle_timeout_under_pressure;
    if (pressure_ != nullptr && pressed < config_.runner_idle_timeout &&
        pressure_->deferred_since(rt_.now() - pressed)) {
        return pressed;
    }
    return config_.runner_idle_timeout;
}

Task<void> ScaleDown::settle_instances(const std::vector<InstanceInfo>& instances,
                                       const Runners& runners, const HeldSlots& held,
                                       Instant deadline, ScaleDownReport& report) {
    // Each owner's runners by name (the last listed wins, as a scan would have it): looking an
    // instance's runner up in the whole list was quadratic in the fleet, sweep after sweep.
    // Hashed: names are the prefix and an instance id, so a tree compared some 20 equal
    // characters at every level. Owners by their key, the text of an instance's owner tag, so an
    // instance finds its owner's runners without parsing the tag.
    std::map<std::string, LookupTable<std::string_view, const RunnerInfo*>, std::less<>> by_name;
    for (const auto& [owner, listed] : runners) {
        auto& names = by_name[owner.key()];
        for (const auto& runner : listed)
            names[runner.name] = &runner;
    }
    std::vector<Condemned> condemned;
    std::string name = config_.runner_name_prefix;
    for (const auto& instance : instances) {
        const std::string* owner = instance.tag(kOwnerTag);
        if (owner == nullptr)
            continue;  // not launched by us: not ours to judge
        auto owner_runners = by_name.find(*owner);
        if (owner_runners == by_name.end())  // a tag that is not its owner's key ("org/")
            owner_runners = by_name.find(parse_owner(*owner).key());
        if (owner_runners == by_name.end())
            continue;  // the owner's runners could not be listed: judge nothing blind
        name.resize(config_.runner_name_prefix.size());
        name += instance.id;
        const RunnerInfo* const* found = owner_runners->second.find(name);
        const RunnerInfo* runner = found == nullptr ? nullptr : *found;
        const Verdict verdict = judge(instance, runner, unrecorded(instance, held));
        if (verdict == Verdict::keep_busy)
            report.kept_busy.push_back(instance.id);
        if (verdict != Verdict::orphan && verdict != Verdict::finished && verdict != Verdict::idle)
            continue;
        if (rt_.now() >= deadline)
            break;
        // An idle runner is deregistered before its instance goes: GitHub refuses to delete a
        // busy runner, so a job assigned since our list keeps its runner (the race with
        // assignment is decided by GitHub, not by our stale view).
        if (verdict == Verdict::idle &&
            !co_await github_.delete_runner(parse_owner(*owner), runner->id, deadline)) {
            continue;
        }
        condemned.push_back({instance.id, verdict, *owner, runner ? runner->id : 0});
    }
    // Counted once a sweep: most of a fleet is busy, and a count per instance per sweep was most
    // of the counter increments a run made.
    count("kept_busy", report.kept_busy.size());
    co_await terminate_all(condemned, deadline, report);
}

Task<void> ScaleDown::terminate_all(const std::vector<Condemned>& condemned, Instant deadline,
                                    ScaleDownReport& report) {
    constexpr std::size_t kIdsPerCall = 100;  // well inside TerminateInstances' own limit
    const RetryRules rules = aws_retry_rules(config_);
    std::vector<const Condemned*> gone;
    for (std::size_t first = 0; first < condemned.size(); first += kIdsPerCall) {
        const std::size_t last = std::min(condemned.size(), first + kIdsPerCall);
        std::vector<std::string> ids;
        for (std::size_t k = first; k < last; ++k)
            ids.push_back(condemned[k].instance_id.str());
        auto terminated = co_await with_retries<Done>(
            rt_, rules, deadline, [&] { return fleet_.terminate_instances(ids); });
        if (!terminated) {
            count_error("terminate_instances", report);
            continue;
        }
        for (std::size_t k = first; k < last; ++k) {
            record_termination(condemned[k], report);
            gone.push_back(&condemned[k]);
        }
    }
    // The slots go back only once the instances are gone. A failed release is retried by
    // release_missing, which finds the instance missing from the next describes.
    for (const Condemned* instance : gone) {
        const Identifier id = instance->instance_id;
        auto released = co_await with_retries<Done>(rt_, rules, deadline,
                                                    [&] { return ledger_.release_instance(id); });
        if (!released)
            count_error("release_instance", report);
    }
}

void ScaleDown::record_termination(const Condemned& condemned, ScaleDownReport& report) {
    const bool orphan = condemned.verdict == Verdict::orphan;
    const bool idle = condemned.verdict == Verdict::idle;
    const char* reason = orphan ? "orphan" : idle ? "idle" : "finished";
    if (orphan)
        SCALEUP_PROBE(rt_, scale_down_terminated_orphan);
    else if (idle)
        SCALEUP_PROBE(rt_, scale_down_terminated_idle);
    (orphan ? report.terminated_orphan
     : idle ? report.terminated_idle
            : report.terminated_finished)
        .push_back(condemned.instance_id);
    count(orphan ? "terminated_orphan" : idle ? "terminated_idle" : "terminated_finished");
    if (rt_.tracing()) {
        rt_.tracef("scale-down", "terminated",
                   FMT_COMPILE("instance={} owner={} reason={} runner={}"), condemned.instance_id,
                   condemned.owner, reason, condemned.runner_id);
    }
}

Task<void> ScaleDown::delete_ghosts(const Runners& runners, const ViewSet& live, Instant deadline,
                                    ScaleDownReport& report) {
    const std::string& prefix = config_.runner_name_prefix;
    std::set<GhostKey> ghosts;
    for (const auto& [owner, list] : runners) {
        for (const auto& runner : list) {
            const bool ours =
                runner.name.size() > prefix.size() && runner.name.view().starts_with(prefix);
            if (!ours || runner.online || runner.busy ||
                live.contains(std::string_view(runner.name).substr(prefix.size()))) {
                continue;
            }
            const GhostKey key{owner, runner.id};
            if (ghosts_last_.count(key) == 0 || rt_.now() >= deadline) {
                ghosts.insert(key);  // seen once: confirmed (or deleted) next sweep
                continue;
            }
            const std::int64_t runner_id = runner.id;
            auto deleted = co_await github_.delete_runner(owner, runner_id, deadline);
            if (!deleted) {
                count_error("delete_runner", report);
                ghosts.insert(key);
                continue;
            }
            report.deleted_ghost_runners.push_back(runner_id);
            SCALEUP_PROBE(rt_, scale_down_deleted_ghost);
            count("deleted_ghost_runner");
            if (rt_.tracing()) {
                rt_.tracef("scale-down", "deleted_ghost", FMT_COMPILE("owner={} runner={} name={}"),
                           owner.key(), runner_id, runner.name);
            }
        }
    }
    ghosts_last_ = std::move(ghosts);
}

Task<void> ScaleDown::release_missing(const std::vector<LaunchedInstance>& held,
                                      const ViewSet& live, Instant deadline,
                                      ScaleDownReport& report) {
    LookupSet<Identifier> missing;
    for (const auto& slot : held) {
        const Identifier& id = slot.instance_id;  // `held` outlives the sweep's awaits
        if (live.contains(id))
            continue;
        // EC2 listed it last sweep and not now: it left pending and running (it terminated
        // itself after its job, or was interrupted or terminated elsewhere), so the slot goes at
        // once. Never listed: DescribeInstances may lag a fresh launch, so a second sweep
        // confirms the absence first. Waiting twice for every finished runner kept a minute or
        // two of slots per runner: at max_runners, jobs waited on slots no instance used.
        const bool left = described_last_.contains(id);
        if (rt_.now() >= deadline || (!left && !missing_last_.contains(id))) {
            missing.insert(id);  // seen missing once: confirmed (or released) next sweep
            continue;
        }
        auto released = co_await with_retries<Done>(rt_, aws_retry_rules(config_), deadline,
                                                    [&] { return ledger_.release_instance(id); });
        if (!released) {
            count_error("release_instance", report);
            missing.insert(id);
            continue;
        }
        report.released_missing.push_back(id);
        count("released_missing");
        if (rt_.tracing())
            rt_.tracef("scale-down", "released_missing", FMT_COMPILE("instance={}"), id);
    }
    missing_last_ = std::move(missing);
}

void ScaleDown::forget_gone(const ViewSet& live) {
    seen_.erase_if([&](const Identifier& id, const RunnerSeen&) { return !live.contains(id); });
}

void ScaleDown::count(const char* action, std::size_t by) {
    if (by > 0)
        metrics_.increment(kActionsMetric, {{"action", action}}, by);
}

void ScaleDown::count_error(const char* call, ScaleDownReport& report) {
    ++report.errors;
    metrics_.increment(kErrorsMetric, {{"call", call}});
}

}  // namespace scaleup
