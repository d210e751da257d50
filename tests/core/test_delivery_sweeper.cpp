// DeliverySweeper: failed workflow_job deliveries are redelivered once per GUID, from the most
// recent attempt, within the lookback, at a bounded rate; successes and other events are left
// alone; list and redelivery errors are counted skips (tuist's webhook_redelivery_worker tests).
#include <catch2/catch.hpp>

#include "tests/core/reconcile_harness.hpp"

using namespace scaleup;
using namespace scaleup::testing;

namespace {
std::uint64_t guids_with(const ReconcileHarness& h, const char* result) {
    return h.metrics.value("scaleup_sweeper_deliveries_total", {{"result", result}});
}
}  // namespace

TEST_CASE("sweeper: an empty delivery log is a no-op", "[sweeper]") {
    ReconcileHarness h;
    const auto report = h.sweep();
    CHECK(report.pages == 1);
    CHECK(report.guids == 0);
    CHECK(report.redelivered.empty());
    CHECK_FALSE(report.list_failed);
    CHECK(h.github.redelivered.empty());
    CHECK(h.metrics.value("scaleup_sweeper_runs_total", {{"result", "ok"}}) == 1);
    CHECK(h.metrics.total("scaleup_sweeper_deliveries_total") == 0);
}

TEST_CASE("sweeper: failed deliveries are redelivered, a connection failure (code 0) included",
          "[sweeper]") {
    ReconcileHarness h;
    const Instant now = h.rt.now();
    h.github.hook_deliveries = {hook_attempt(12, "g-refused", now - minutes(2), 0),
                                hook_attempt(11, "g-502", now - minutes(4), 502)};
    const auto report = h.sweep();
    // Oldest first.
    CHECK(report.redelivered == std::vector<std::int64_t>{11, 12});
    CHECK(h.github.redelivered == std::vector<std::int64_t>{11, 12});
    CHECK(guids_with(h, "redelivered") == 2);
    CHECK(h.metrics.value("scaleup_github_calls_total",
                          {{"call", "redeliver_hook_delivery"}, {"outcome", "ok"}}) == 2);
}

TEST_CASE("sweeper: a GUID with any successful attempt is left alone", "[sweeper]") {
    ReconcileHarness h;
    const Instant now = h.rt.now();
    h.github.hook_deliveries = {
        // g1: the original failed, a redelivery succeeded (what status=failure would hide).
        hook_attempt(21, "g1", now - minutes(1), 200),
        // g2: succeeded first, a later manual redelivery failed: still delivered once.
        hook_attempt(22, "g2", now - minutes(2), 503),
        hook_attempt(13, "g1", now - minutes(5), 502),
        hook_attempt(12, "g2", now - minutes(6), 202),
    };
    // status "OK" counts as success whatever the code says.
    HookDelivery ok_without_code = hook_attempt(14, "g3", now - minutes(3), 0);
    ok_without_code.status = "OK";
    h.github.hook_deliveries.insert(h.github.hook_deliveries.begin() + 2, ok_without_code);
    const auto report = h.sweep();
    CHECK(report.guids == 3);
    CHECK(report.succeeded == 3);
    CHECK(report.redelivered.empty());
    CHECK(h.github.redelivered.empty());
    CHECK(guids_with(h, "succeeded") == 3);
}

TEST_CASE("sweeper: other events, and other actions by default, are not redelivered", "[sweeper]") {
    const auto log = [](Instant now) {
        return std::vector<HookDelivery>{
            hook_attempt(31, "push", now - minutes(1), 502, "push", ""),
            hook_attempt(32, "completed", now - minutes(2), 502, "workflow_job", "completed"),
            hook_attempt(33, "queued", now - minutes(3), 502, "workflow_job", "queued"),
        };
    };
    ReconcileHarness h;
    h.github.hook_deliveries = log(h.rt.now());
    CHECK(h.sweep().redelivered == std::vector<std::int64_t>{33});

    ScaleUpConfig every_action;
    every_action.sweeper_queued_only = false;
    ReconcileHarness all(every_action);
    all.github.hook_deliveries = log(all.rt.now());
    CHECK(all.sweep().redelivered == std::vector<std::int64_t>{33, 32});
}

TEST_CASE("sweeper: the most recent attempt of a failed GUID is the one redelivered", "[sweeper]") {
    ReconcileHarness h;
    const Instant now = h.rt.now();
    h.github.hook_deliveries = {hook_attempt(48, "g", now - minutes(1), 503),
                                hook_attempt(45, "g", now - minutes(4), 0),
                                hook_attempt(40, "g", now - minutes(6), 502)};
    h.github.hook_deliveries[0].redelivery = true;
    h.github.hook_deliveries[1].redelivery = true;
    const auto report = h.sweep();
    CHECK(report.guids == 1);
    CHECK(report.redelivered == std::vector<std::int64_t>{48});
}

TEST_CASE("sweeper: pages through the log until the lookback and no further", "[sweeper]") {
    ReconcileHarness h;  // lookback 15 min
    const Instant now = h.rt.now();
    h.github.hook_page_size = 2;
    // Newest first. g-split failed on page 1 but succeeded on page 3: left alone.
    h.github.hook_deliveries = {
        hook_attempt(9, "g-split", now - minutes(1), 502),
        hook_attempt(8, "a", now - minutes(2), 502),
        hook_attempt(7, "b", now - minutes(4), 502),
        hook_attempt(6, "c", now - minutes(8), 502),
        hook_attempt(5, "g-split", now - minutes(9), 200),
        hook_attempt(4, "d", now - minutes(14), 502),
        hook_attempt(3, "old", now - minutes(16), 502),
        hook_attempt(2, "older", now - minutes(20), 502),
        hook_attempt(1, "oldest", now - minutes(30), 502),
    };
    const auto report = h.sweep();
    CHECK(report.pages == 4);  // the 4th page reaches past the window; the 5th is never read
    CHECK(report.guids == 5);
    CHECK(report.redelivered == std::vector<std::int64_t>{4, 6, 7, 8});
    CHECK(h.metrics.value("scaleup_github_calls_total",
                          {{"call", "list_hook_deliveries"}, {"outcome", "ok"}}) == 4);
}

TEST_CASE("sweeper: never looks beyond GitHub's 3-day redelivery window", "[sweeper]") {
    ScaleUpConfig config;
    config.sweeper_lookback = hours(72);
    ReconcileHarness h(config);
    const Instant now = h.rt.now();
    h.github.hook_deliveries = {hook_attempt(2, "recent", now - hours(71), 502),
                                hook_attempt(1, "expiring", now - hours(72) + minutes(5), 502)};
    CHECK(h.sweep().redelivered == std::vector<std::int64_t>{2});
}

TEST_CASE(
    "sweeper: redeliveries are bounded per run and spaced, a GUID is not redelivered by "
    "two sweeps in a row",
    "[sweeper]") {
    ReconcileHarness h;  // at most 50 per run, 200 ms apart
    const Instant start = h.rt.now();
    for (int i = 0; i < 60; ++i) {
        h.github.hook_deliveries.push_back(
            hook_attempt(1000 - i, fmt::format("g{:02d}", i), start - seconds(10 + i), 502));
    }
    const auto first = h.sweep();
    REQUIRE(first.redelivered.size() == 50);
    CHECK(first.limit_reached == 10);
    CHECK(first.redelivered.front() == 941);  // the oldest first
    CHECK(first.redelivered.back() == 990);
    REQUIRE(h.github.redelivered_at.size() == 50);
    for (std::size_t i = 1; i < 50; ++i) {
        CHECK(h.github.redelivered_at[i] - h.github.redelivered_at[i - 1] == milliseconds(200));
    }
    CHECK(guids_with(h, "limit_reached") == 10);

    // The log does not show the new attempts yet: the 50 are not redelivered again at once.
    h.rt.run_for(minutes(1));
    const auto second = h.sweep();
    CHECK(second.recently_redelivered == 50);
    CHECK(second.redelivered ==
          std::vector<std::int64_t>{991, 992, 993, 994, 995, 996, 997, 998, 999, 1000});

    // Two sweeps later, the first 50 are due again (still failed); the last 10 are recent.
    h.rt.run_for(minutes(1));
    const auto third = h.sweep();
    CHECK(third.redelivered.size() == 50);
    CHECK(third.recently_redelivered == 10);
}

TEST_CASE("sweeper: a 502 on the list skips the run, nothing is redelivered", "[sweeper]") {
    ReconcileHarness h;
    const Instant now = h.rt.now();
    h.github.hook_deliveries = {hook_attempt(1, "g", now - minutes(1), 502)};
    for (int i = 0; i < 3; ++i)  // every try of the budget
        h.github.hook_list_failures.push_back(github_error(ErrorKind::transient, "502"));
    const auto report = h.sweep();
    CHECK(report.list_failed);
    CHECK(report.redelivered.empty());
    CHECK(h.github.redelivered.empty());
    CHECK(h.metrics.value("scaleup_sweeper_runs_total", {{"result", "list_error"}}) == 1);
    CHECK(h.metrics.value("scaleup_github_calls_total",
                          {{"call", "list_hook_deliveries"}, {"outcome", "transient"}}) == 1);
    // The next run reads the log and redelivers.
    CHECK(h.sweep().redelivered == std::vector<std::int64_t>{1});
}

TEST_CASE("sweeper: a refused redelivery (422) is counted and the others go on", "[sweeper]") {
    ReconcileHarness h;
    const Instant now = h.rt.now();
    h.github.hook_deliveries = {hook_attempt(2, "b", now - minutes(1), 502),
                                hook_attempt(1, "a", now - minutes(2), 502)};
    h.github.redeliver_failures.push_back(github_error(ErrorKind::invalid, "422"));
    const auto report = h.sweep();
    CHECK(report.redeliver_errors == 1);
    CHECK(report.redelivered == std::vector<std::int64_t>{2});
    CHECK(guids_with(h, "redeliver_error") == 1);
    CHECK(guids_with(h, "redelivered") == 1);
}

TEST_CASE("sweeper: run() sweeps every interval until cancelled", "[sweeper]") {
    ReconcileHarness h;
    const Instant now = h.rt.now();
    h.github.hook_deliveries = {hook_attempt(1, "g", now - minutes(1), 502)};
    CancellationSource cancel;
    h.rt.spawn(h.sweeper.run(cancel.token(), minutes(1)));
    // Cancelled from inside the simulation at 3.5 min: sweeps at 0, 1, 2 and 3 min.
    h.rt.spawn([](Runtime& rt, CancellationSource& source) -> Task<void> {
        co_await rt.sleep(minutes(3) + seconds(30));
        source.cancel(rt);
    }(h.rt, cancel));
    h.rt.run();
    CHECK(h.rt.now() < h.github.hook_deliveries[0].delivered_at + minutes(5));
    CHECK(h.metrics.value("scaleup_sweeper_runs_total", {{"result", "ok"}}) == 4);
    // Redelivered, skipped by the next sweep, redelivered again: every other sweep.
    CHECK(h.github.redelivered == std::vector<std::int64_t>{1, 1});
    CHECK(h.rt.live_tasks() == 0);
}
