// BatchHandler: turns one batch of queue messages into runners, and says which messages must come
// back. This is the scale-up Lambda's handler, written so that no job is ever lost:
//
// - A message is acknowledged only when its job is durably handled: an instance was launched for it
//   and its JIT config stored and recorded in the ledger, or the job provably needs no runner (not
//   queued any more, already served, or refused for a recorded reason).
// - Every message starts with no outcome, and a message without an outcome comes back. An
//   unexpected error therefore returns everything not yet durably handled. Nothing is acknowledged
//   by default (the seed incident: one uncaught 404 acknowledged a whole batch).
// - A malformed body is dead-lettered with its reason, then acknowledged; if the dead-letter send
//   fails, the message is kept.
// - The handler knows its deadline: it stops starting work `deadline_margin` before it, returns
// what
//   it did not finish, and never sleeps a rate limit past it (the message comes back with a
//   visibility delay instead).
//
// docs/core.md lists the rules with the upstream issues they answer.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/common/capacity_pressure.hpp"
#include "core/config/scale_up_config.hpp"
#include "core/consumer/job_message.hpp"
#include "core/consumer/outcome.hpp"
#include "core/github/github_client.hpp"
#include "core/github/installation_token_cache.hpp"
#include "core/metrics/metrics.hpp"
#include "core/ports/config_store.hpp"
#include "core/ports/fleet.hpp"
#include "core/ports/ledger.hpp"
#include "core/ports/queue.hpp"
#include "core/runtime/runtime.hpp"

namespace scaleup {

struct MessageReport {
    std::string message_id;
    MessageOutcome outcome = MessageOutcome::unexpected_error_retry;
    std::string detail;  // instance id, error text, or reason
    std::optional<Duration> visibility_delay;
};

struct BatchResult {
    /// The `batchItemFailures`: ids of the messages that must come back, in batch order.
    std::vector<std::string> item_failures;
    /// One report per message, in batch order.
    std::vector<MessageReport> reports;
};

struct ConsumerPorts {
    QueuePort& queue;
    FleetPort& fleet;
    ConfigStorePort& config_store;
    LedgerPort& ledger;
};

class BatchHandler {
  public:
    BatchHandler(Runtime& rt, const ScaleUpConfig& config, ConsumerPorts ports,
                 InstallationTokenCache& tokens, GitHubClient& github, MetricsRegistry& metrics);

    /// Handles `batch` and returns by `deadline`. Never throws.
    Task<BatchResult> handle(std::vector<QueueMessage> batch, Instant deadline);
    /// Where to note each message deferred for want of a slot (scale-down then sweeps sooner). It
    /// must outlive this object.
    void report_deferrals_to(CapacityPressure& pressure) { pressure_ = &pressure; }

  private:
    struct Item {
        QueueMessage message;
        std::optional<JobMessage> job;
        std::optional<MessageOutcome> outcome;
        std::string detail;
        std::optional<Duration> delay;
        std::optional<std::size_t> primary;             // duplicate of this item's job
        std::optional<std::string> dead_letter_reason;  // to send before acknowledging
        bool dead_letter_sent = false;
        std::vector<std::string> label_set;  // the job's labels normalised, once parsed
    };
    using Items = std::vector<Item>;
    using Members = std::vector<std::size_t>;

    Task<void> process(Items& items, Instant until);
    void parse_and_filter(Items& items);
    void mark_duplicates(Items& items);
    Task<void> skip_already_served(Items& items, Instant until);
    Task<void> apply_queued_check(Items& items, Instant until);
    /// Whether the installation has spent more than its pro-rata share of the hour's core budget.
    bool budget_too_low_for_check(std::int64_t installation_id) const;
    Task<void> launch_group(Items& items, Members members, Instant until);
    Task<bool> reserve_capacity(Items& items, Members& members, const std::string& reservation,
                                Instant until);
    Task<Result<LaunchResult>> find_launched(const std::string& reservation, Instant until);
    Task<void> configure_instance(Item& item, std::string instance_id, std::int64_t installation_id,
                                  RunnerOwner owner, Instant until);
    Task<void> discard_instance(const std::string& instance_id, Instant until);
    Task<void> finish(Items& items, Instant deadline);
    Task<void> send_dead_letters(Items& items, Instant deadline);
    Task<void> apply_visibility_delays(Items& items, Instant deadline);
    static bool goes_to_dead_letters(const Item& item);
    static bool needs_visibility_delay(const Item& item);
    BatchResult report(Items& items);

    void fail_from_error(Item& item, const ServiceError& error, MessageOutcome retry_outcome);
    void classify_shortfall(Items& items, const Members& unserved, const LaunchResult& launch);
    Duration backoff_delay(const Item& item);
    RunnerOwner runner_owner(const JobMessage& job) const;
    /// Whether the pool has every label of `label_set` (normalised labels).
    bool serves_labels(const std::vector<std::string>& label_set) const;
    std::string new_reservation_id();

    Runtime& rt_;
    const ScaleUpConfig& config_;
    ConsumerPorts ports_;
    InstallationTokenCache& tokens_;
    GitHubClient& github_;
    MetricsRegistry& metrics_;
    EnumCounters<MessageOutcome> messages_;  // scaleup_consumer_messages_total by outcome
    std::vector<std::string> pool_labels_;   // normalised config.runner_labels
    CapacityPressure* pressure_ = nullptr;   // set by report_deferrals_to
};

}  // namespace scaleup
