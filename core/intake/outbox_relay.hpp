// OutboxRelay: moves the deliveries intake recorded in the ledger's outbox onto the queue.
//
// Intake answers GitHub once a delivery is in the ledger; if the queue did not take its message
// then (an SQS outage, a timeout), the message waits in the outbox and this relay sends it. The
// relay is at least once: an entry is marked sent only after the queue accepted it, so a crash or
// a lost mark sends it again, and the consumer's idempotency per job absorbs the duplicate.
//
// - Oldest first. A retryable send failure ends the pass (the queue is likely down; the next pass
//   starts again from the oldest); a non-retryable one is counted and skipped, so one bad entry
//   cannot block the ones behind it.
// - An entry younger than `intake_budget + call_timeout` is left alone: intake's fast path may
// still
//   be sending it or marking it sent, and sending it too would only make a duplicate.
// - Each sent entry counts `scaleup_outbox_relayed_total{result="ok"}`, each failed send
//   `{result="error"}`.
#pragma once

#include "core/common/retry.hpp"
#include "core/config/scale_up_config.hpp"
#include "core/metrics/metrics.hpp"
#include "core/ports/ledger.hpp"
#include "core/ports/queue.hpp"
#include "core/runtime/runtime.hpp"

namespace scaleup {

class OutboxRelay {
  public:
    /// Entries read from the ledger per pass.
    static constexpr int kBatchLimit = 100;

    OutboxRelay(Runtime& rt, const ScaleUpConfig& config, LedgerPort& ledger, QueuePort& queue,
                MetricsRegistry& metrics);

    /// One pass over the pending outbox, ending by `deadline`. Returns how many entries it sent.
    Task<int> relay_once(Instant deadline);
    /// Relays every `interval` until `stop` is cancelled; a full batch is followed at once by the
    /// next pass, so a backlog drains without waiting.
    Task<void> run(CancellationToken stop, Duration interval);

    /// How old an entry must be before the relay takes it over from intake.
    Duration settle_time() const { return config_.intake_budget + config_.call_timeout; }

  private:
    struct Pass {
        int sent = 0;    // accepted by the queue
        int marked = 0;  // and marked sent in the ledger
    };
    Task<Pass> pass(Instant deadline);
    /// Sends one entry; false when the pass should end (a retryable failure).
    Task<bool> relay_entry(OutboxEntry entry, Instant deadline, Pass& done);

    Runtime& rt_;
    const ScaleUpConfig& config_;
    LedgerPort& ledger_;
    QueuePort& queue_;
    MetricsRegistry& metrics_;
};

}  // namespace scaleup
