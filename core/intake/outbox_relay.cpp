#include "core/intake/outbox_relay.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/common/retry.hpp"

namespace scaleup {

namespace {
const std::string kRelayedMetric = "scaleup_outbox_relayed_total";
}

OutboxRelay::OutboxRelay(Runtime& rt, const ScaleUpConfig& config, LedgerPort& ledger,
                         QueuePort& queue, MetricsRegistry& metrics)
    : rt_(rt), config_(config), ledger_(ledger), queue_(queue), metrics_(metrics) {}

Task<int> OutboxRelay::relay_once(Instant deadline) {
    const Pass done = co_await pass(deadline);
    co_return done.sent;
}

Task<void> OutboxRelay::run(CancellationToken stop, Duration interval) {
    while (!stop.cancelled()) {
        // A pass may take longer than a short interval: each call still gets its full timeout.
        const Pass done = co_await pass(rt_.now() + std::max(interval, config_.call_timeout));
        // A full batch marked sent: more may be waiting, so go again at once. Only marked entries
        // count, so a ledger that cannot mark never turns this into a busy loop.
        if (done.marked >= kBatchLimit)
            continue;
        if (!co_await sleep(rt_, interval, stop))
            break;
    }
}

Task<OutboxRelay::Pass> OutboxRelay::pass(Instant deadline) {
    Pass done;
    auto pending = co_await with_retries<std::vector<OutboxEntry>>(
        rt_, aws_retry_rules(config_), deadline,
        [&] { return ledger_.pending_outbox(kBatchLimit); });
    if (!pending.ok()) {
        if (rt_.tracing())
            rt_.tracef("outbox", "read_failed", FMT_COMPILE("error=\"{}\""),
                       pending.error().describe());
        co_return done;
    }
    const Instant settled_before = rt_.now() - settle_time();
    for (auto& entry : pending.value()) {
        if (entry.received_at > settled_before)
            continue;  // intake may still be sending this one itself
        if (rt_.now() >= deadline)
            break;
        if (!co_await relay_entry(std::move(entry), deadline, done))
            break;
    }
    co_return done;
}

Task<bool> OutboxRelay::relay_entry(OutboxEntry entry, Instant deadline, Pass& done) {
    auto sent = co_await with_retries<Done>(rt_, aws_retry_rules(config_), deadline, [&] {
        return queue_.send(entry.message_body, Duration{0});
    });
    if (!sent.ok()) {
        metrics_.increment(kRelayedMetric, {{"result", "error"}});
        SCALEUP_PROBE(rt_, outbox_send_failed);
        if (rt_.tracing()) {
            rt_.tracef("outbox", "send_failed", FMT_COMPILE("guid={} job={} error=\"{}\""),
                       entry.delivery_guid, entry.job_id, sent.error().describe());
        }
        // A retryable failure means the queue is likely down: end the pass. Anything else is this
        // entry's own problem: skip it so the entries behind it still go.
        co_return !sent.error().retryable();
    }
    ++done.sent;
    metrics_.increment(kRelayedMetric, {{"result", "ok"}});
    const Instant enqueued_at = rt_.now();
    auto marked = co_await with_retries<Done>(rt_, aws_retry_rules(config_), deadline, [&] {
        return ledger_.mark_outbox_sent(entry.delivery_guid);
    });
    if (marked.ok())
        ++done.marked;
    // The reconciler's in-flight hint only; a lost note costs at most an early re-enqueue.
    auto noted = co_await with_retries<Done>(rt_, aws_retry_rules(config_), deadline, [&] {
        return ledger_.note_enqueued(entry.job_id, enqueued_at);
    });
    if (rt_.tracing()) {
        rt_.tracef("outbox", "relayed", FMT_COMPILE("guid={} job={} marked={} noted={}"),
                   entry.delivery_guid, entry.job_id, marked.ok(), noted.ok());
    }
    co_return true;
}

}  // namespace scaleup
