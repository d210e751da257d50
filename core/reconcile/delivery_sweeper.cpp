#include "core/reconcile/delivery_sweeper.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "core/common/periodic.hpp"
#include "core/common/retry.hpp"
#include "core/github/github_call_metric.hpp"

namespace scaleup {

namespace {
constexpr const char* kSweeperRunsMetric = "scaleup_sweeper_runs_total";
constexpr const char* kGuidsMetric = "scaleup_sweeper_deliveries_total";
// github.com keeps a delivery redeliverable for 3 days; stay clear of the edge, where the
// redelivery would be refused.
constexpr Duration kRedeliverableFor = hours(72) - minutes(10);
// A cursor that never ends would be a GitHub bug; never page forever.
constexpr int kMaxPages = 1000;
// GitHub logs a redelivery's attempt once it is made, within its 10 s delivery timeout; until
// then the log still shows the GUID as failed.
constexpr Duration kMinRepeatGap = seconds(30);

/// The delivery docs' own test: a 2xx code, or status "OK". Code 0 (no connection) is a failure.
bool attempt_succeeded(const HookDelivery& d) {
    return (d.status_code >= 200 && d.status_code <= 299) || d.status == "OK";
}

bool is_rate_limit(const ServiceError& error) {
    return error.kind == ErrorKind::rate_limited || error.kind == ErrorKind::secondary_rate_limited;
}
}  // namespace

DeliverySweeper::DeliverySweeper(Runtime& rt, GitHubPort& github, InstallationTokenCache& tokens,
                                 const ScaleUpConfig& config, MetricsRegistry& metrics)
    : rt_(rt), github_(github), tokens_(tokens), config_(config), metrics_(metrics) {}

Task<SweepReport> DeliverySweeper::sweep_once(Instant deadline) {
    SweepReport report;
    ++sweep_;
    std::erase_if(redelivered_,
                  [&](const auto& entry) { return !recently_redelivered(entry.second); });
    const Instant cutoff = rt_.now() - std::min(config_.sweeper_lookback, kRedeliverableFor);

    Result<Window> deliveries = co_await list_window(cutoff, deadline, report);
    if (!deliveries) {
        // Nothing is redelivered on a partial view of the log: a GUID's success may be on the
        // page that could not be read.
        report.list_failed = true;
        metrics_.increment(kSweeperRunsMetric, {{"result", "list_error"}});
        if (rt_.tracing()) {
            rt_.tracef("sweeper", "list_failed", FMT_COMPILE("pages={} error=\"{}\""), report.pages,
                       deliveries.error().describe());
        }
        co_return report;
    }
    // A named vector: g++ 12 destroys a temporary argument inside a co_await expression twice.
    std::vector<Attempts> failed = failed_guids(deliveries.value(), report);
    co_await redeliver(std::move(failed), deadline, report);
    metrics_.increment(kSweeperRunsMetric, {{"result", "ok"}});
    if (rt_.tracing()) {
        rt_.tracef("sweeper", "sweep",
                   FMT_COMPILE("pages={} guids={} succeeded={} redelivered={} errors={} recent={} "
                               "limited={}"),
                   report.pages, report.guids, report.succeeded, report.redelivered.size(),
                   report.redeliver_errors, report.recently_redelivered, report.limit_reached);
    }
    co_return report;
}

Task<void> DeliverySweeper::run(CancellationToken cancel, Duration interval) {
    return run_periodically(rt_, std::move(cancel), interval, metrics_, kSweeperRunsMetric,
                            "sweeper", [this](Instant deadline) { return sweep_once(deadline); });
}

Task<Result<DeliverySweeper::Window>> DeliverySweeper::list_window(Instant cutoff, Instant deadline,
                                                                   SweepReport& report) {
    Window window;
    std::string cursor;
    for (int page = 0; page < kMaxPages; ++page) {
        Result<HookDeliveryPage> listed = co_await with_retries<HookDeliveryPage>(
            rt_, github_retry_rules(config_), deadline,
            [&] { return github_.list_hook_deliveries(tokens_.make_claims(), cursor); });
        count_github_call(metrics_, "list_hook_deliveries", listed ? nullptr : &listed.error());
        if (!listed)
            co_return listed.error();
        ++report.pages;
        HookDeliveryPage& got = listed.value();
        // Newest first: past one attempt older than the cutoff, the rest of the log is older.
        const bool past_window = std::erase_if(got.deliveries,
                                               [&](const HookDelivery& delivery) {
                                                   return delivery.delivered_at < cutoff;
                                               }) > 0 ||
                                 got.deliveries.empty();
        window.push_back(std::move(got.deliveries));
        if (past_window || got.next_cursor.empty())
            break;
        cursor = std::move(got.next_cursor);
    }
    co_return window;
}

std::vector<DeliverySweeper::Attempts> DeliverySweeper::failed_guids(const Window& window,
                                                                     SweepReport& report) {
    // The wanted attempts grouped by GUID by sorting views of them: a window holds hundreds of
    // attempts a sweep, and a map from GUID to a copy of the attempt allocated three times each.
    std::vector<const HookDelivery*> attempts;
    for (const auto& page : window) {
        for (const auto& delivery : page) {
            if (wanted(delivery))
                attempts.push_back(&delivery);
        }
    }
    // Within one GUID the order does not matter: the latest, the first and "any succeeded" are
    // the same in every order.
    std::sort(attempts.begin(), attempts.end(),
              [](const HookDelivery* a, const HookDelivery* b) { return a->guid < b->guid; });
    std::vector<Attempts> failed;
    for (std::size_t first = 0, next = 0; first < attempts.size(); first = next) {
        Attempts guid{attempts[first], attempts[first]->delivered_at, false};
        for (next = first; next < attempts.size() && attempts[next]->guid == guid.latest->guid;
             ++next) {
            const HookDelivery& attempt = *attempts[next];
            const HookDelivery& latest = *guid.latest;
            if (attempt.delivered_at > latest.delivered_at ||
                (attempt.delivered_at == latest.delivered_at && attempt.id > latest.id)) {
                guid.latest = &attempt;
            }
            guid.first_at = std::min(guid.first_at, attempt.delivered_at);
            guid.succeeded = guid.succeeded || attempt_succeeded(attempt);
        }
        ++report.guids;
        if (guid.succeeded)
            ++report.succeeded;
        else
            failed.push_back(guid);
    }
    // One count a sweep, not one a GUID: nearly every GUID in a window succeeded.
    count("succeeded", report.succeeded);
    // The longest-waiting job first: if the run's bound is reached, newer ones wait a run.
    std::stable_sort(failed.begin(), failed.end(),
                     [](const Attempts& a, const Attempts& b) { return a.first_at < b.first_at; });
    return failed;
}

Task<void> DeliverySweeper::redeliver(std::vector<Attempts> failed, Instant deadline,
                                      SweepReport& report) {
    int calls = 0;
    bool rate_limited = false;
    std::optional<Instant> last_call;
    for (const auto& attempts : failed) {
        const Identifier& guid = attempts.latest->guid;
        if (redelivered_.count(guid) != 0) {
            ++report.recently_redelivered;
            count("recently_redelivered");
            continue;
        }
        const Instant start =
            last_call ? std::max(rt_.now(), *last_call + config_.sweeper_redelivery_spacing)
                      : rt_.now();
        if (rate_limited || calls >= config_.sweeper_max_redeliveries_per_run ||
            start >= deadline) {
            ++report.limit_reached;
            count("limit_reached");
            continue;
        }
        if (start > rt_.now())
            co_await rt_.sleep_until(start);
        last_call = rt_.now();
        ++calls;
        const std::int64_t id = attempts.latest->id;
        Status done = co_await with_retries<Done>(rt_, github_retry_rules(config_), deadline, [&] {
            return github_.redeliver_hook_delivery(tokens_.make_claims(), id);
        });
        count_github_call(metrics_, "redeliver_hook_delivery", done ? nullptr : &done.error());
        if (rt_.tracing()) {
            rt_.tracef("sweeper", "redeliver", FMT_COMPILE("guid={} delivery={} ok={}"), guid, id,
                       done.ok());
        }
        if (done) {
            SCALEUP_PROBE(rt_, sweeper_redelivered);
            report.redelivered.push_back(id);
            redelivered_[guid] = Redelivered{rt_.now(), sweep_};
            count("redelivered");
        } else {
            // 422 (too old, or not redeliverable) or a failure past the retries: a later run may
            // try again. A rate limit ends this run's redeliveries.
            ++report.redeliver_errors;
            count("redeliver_error");
            rate_limited = is_rate_limit(done.error());
        }
    }
}

bool DeliverySweeper::recently_redelivered(const Redelivered& last) const {
    return sweep_ - last.sweep <= 1 || rt_.now() - last.at < kMinRepeatGap;
}

bool DeliverySweeper::wanted(const HookDelivery& delivery) const {
    if (delivery.event != "workflow_job")
        return false;
    return !config_.sweeper_queued_only || delivery.action == "queued";
}

void DeliverySweeper::count(const char* result, int by) {
    if (by > 0)
        metrics_.increment(kGuidsMetric, {{"result", result}}, static_cast<std::uint64_t>(by));
}

}  // namespace scaleup
