// SimulatedSqs: an SQS standard queue with its redrive dead-letter queue, as the consumers see it.
//
// Fault model (what it can do wrong, and the knob):
// - At-least-once delivery. A message comes back when its visibility timeout ends
//   (`visibility_timeout`, per queue) unless the LATEST receipt handle deleted it. Every receive
//   issues a new handle. A delete with a stale handle returns success and deletes NOTHING (real
//   SQS "may not delete": this model never does). Change-visibility with a stale handle is
//   rejected (InvalidParameterValue), with a handle never issued ReceiptHandleIsInvalid.
// - `duplicate_after_delete`: a successful delete does not stick (a replica missed it); the message
//   comes back when its visibility timeout would have ended, with a new handle.
// - Short polls (wait 0) with fewer than `short_poll_sample_threshold` visible messages come back
//   EMPTY with probability `short_poll_empty`, although messages exist.
// - Redrive: with `max_receive_count` set, a message already received that many times is moved to
//   the dead-letter queue on the next receive attempt (receive count carried over).
// - Retention: a message older than `retention_period` (default 4 days) is deleted SILENTLY, even
//   in flight. This is how a job is lost; `expired_message_ids()` shows which.
// - ChangeMessageVisibility counts from the call; beyond 12 h from the receive that issued the
//   handle it is REJECTED (not clamped); 0 makes the message visible at once.
// - DelaySeconds over 15 min, a body over `max_message_bytes`, an empty body or characters SQS
//   does not allow are rejected (ErrorKind::invalid). More than `in_flight_limit` messages in
//   flight: receive fails with OverLimit.
// - `throttling`: any call fails with ErrorKind::throttled ("ThrottlingException" or
//   "RequestThrottled"); `outages`: every call fails with ErrorKind::transient
//   "ServiceUnavailable". A failed call did nothing.
// - `latency`: half before the service acts, half after, so a caller that times out may find the
//   call took effect anyway.
// The core must tolerate all of these: be idempotent per job (duplicates, redelivery), extend
// visibility within the 12 h budget, and never rely on a delete having happened.
//
// Dead-lettered messages do not expire here, so checkers can always read them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/ports/queue.hpp"
#include "core/runtime/runtime.hpp"
#include "sim/backends/sim_common.hpp"
#include "sim/backends/sqs_long_polls.hpp"

namespace scaleup::sim {

class SimulatedSqs final : public QueuePort {
  public:
    struct Options {
        Duration visibility_timeout = seconds(30);        // 0 - 12 h
        Duration retention_period = hours(96);            // 60 s - 14 d
        std::optional<int> max_receive_count{};           // redrive policy, 1 - 1000; none: no DLQ
        std::size_t max_message_bytes = 1'048'576;        // MaximumMessageSize
        std::size_t in_flight_limit = 120'000;            // standard queue: OverLimit beyond
        std::size_t short_poll_sample_threshold = 1'000;  // below it, short polls may be empty
        Ratio short_poll_empty = Ratio::never();          // fault: empty short poll
        Ratio duplicate_after_delete = Ratio::never();    // fault: a delete does not stick
        Ratio throttling = Ratio::never();                // fault: ThrottlingException
        std::vector<FaultWindow> outages{};               // fault: ServiceUnavailable
        LatencyRange latency{};
    };

    /// What happened to one message sent to the main queue, for checkers.
    struct MessageRecord {
        std::string id;
        std::string body;
        Instant sent_at{};
        Duration delay{};
        int receives = 0;  // ApproximateReceiveCount
        std::optional<Instant> first_received_at;
        std::optional<Instant> last_received_at;
        std::optional<Instant> deleted_at;  // first delete that took effect (or was meant to)
        int deliveries_after_delete = 0;    // duplicates the core had to absorb
        bool dead_lettered = false;
        std::string dead_letter_reason;
        std::optional<Instant> dead_lettered_at;
        std::optional<Instant> expired_at;
        bool in_queue = true;  // still deliverable (not deleted for good, redriven or expired)
    };

    /// One delete that returned success.
    struct Ack {
        std::string message_id;
        std::string receipt_handle;
        Instant at{};
        bool effective = true;  // false: a stale handle, nothing happened
    };

    /// One message on the dead-letter queue: redriven from the main queue or sent there directly.
    struct DeadLetter {
        std::string id;  // the main queue's id when redriven, else "dlq-NNNNNN"
        std::string body;
        std::string reason;  // the sender's reason, or the redrive policy's
        bool redriven = false;
        int receive_count = 0;  // carried across redrive
        Instant at{};
    };

    struct Counters {
        int sent = 0;
        int received = 0;  // messages delivered
        int empty_receives = 0;
        int deletes = 0;        // effective deletes
        int stale_deletes = 0;  // success returned, nothing deleted
        int duplicates_scheduled = 0;
        int visibility_changes = 0;
        int redriven = 0;
        int dead_letters_sent = 0;
        int expired = 0;
        int throttled = 0;
        int unavailable = 0;
        int rejected = 0;  // ErrorKind::invalid answers
    };

    SimulatedSqs(Runtime& rt, Options options);

    // ---- QueuePort ----------------------------------------------------------------------------
    Task<Result<std::vector<QueueMessage>>> receive(int max_messages, Duration wait) override;
    Task<Status> delete_message(std::string receipt_handle) override;
    Task<Status> change_visibility(std::string receipt_handle, Duration timeout) override;
    Task<Status> send(std::string body, Duration delay) override;
    Task<Status> send_to_dead_letter(std::string body, std::string reason) override;

    // ---- observability ------------------------------------------------------------------------
    /// Every message sent to the main queue, in send order.
    const std::vector<MessageRecord>& records() const { return records_; }
    const MessageRecord* record(const std::string& message_id) const;
    const std::vector<Ack>& ack_log() const { return acks_; }
    const std::vector<DeadLetter>& dead_letters() const { return dead_letters_; }
    const std::vector<std::string>& expired_message_ids() const { return expired_ids_; }
    std::size_t expired_count() const { return expired_ids_.size(); }
    const Counters& counters() const { return counters_; }
    /// Messages still in the main queue (visible, delayed or in flight).
    std::size_t size() const { return queue_.size(); }
    std::size_t visible_count() const;
    std::size_t in_flight_count() const;
    const Options& options() const { return options_; }
    /// The drain's heal: duplicates, throttling and empty short polls stop.
    void heal_rate_faults() {
        options_.short_poll_empty = options_.duplicate_after_delete = options_.throttling =
            Ratio::never();
    }

  private:
    struct Stored {
        Instant visible_at{};
        std::string receipt_handle;  // the latest; empty before the first receive or once stale
        Instant received_at{};       // when that handle was issued (the 12 h budget)
    };

    std::optional<ServiceError> admission_error(const char* operation);
    ServiceError reject(const char* operation, const char* code, std::string message);
    std::optional<ServiceError> validate_body(const char* operation, const std::string& body);
    std::optional<ServiceError> receive_error(int max_messages, Duration wait);
    Task<std::vector<QueueMessage>> poll(int max_messages, Duration wait);
    std::vector<QueueMessage> take_visible(int max_messages);
    QueueMessage deliver(std::uint64_t seq, Stored& stored);
    void redrive(std::uint64_t seq);
    Instant next_visible_at() const;
    void notify_change();
    /// The send sequence of the message `receipt_handle` names, when this queue issued it (at any
    /// receive, stale or not); nullopt for any other text.
    std::optional<std::uint64_t> issued_handle_seq(std::string_view receipt_handle) const;
    /// The queue entry of message `seq` when `receipt_handle` is its latest handle.
    Stored* latest_holder(std::uint64_t seq, const std::string& receipt_handle);
    Status apply_delete(const std::string& receipt_handle);
    Status apply_change_visibility(const std::string& receipt_handle, Duration timeout);
    Status apply_send(std::string body, Duration delay);
    Status apply_send_to_dead_letter(std::string body, std::string reason);
    void expire_due();
    void index_visibility(std::uint64_t seq, const Stored& stored);
    void unindex_visibility(std::uint64_t seq, const Stored& stored);
    void refresh_visibility() const;
    void ensure_reaper();
    Task<void> reap();

    Runtime& rt_;
    Options options_;
    Random random_;
    std::map<std::uint64_t, Stored> queue_;  // by send sequence: oldest first
    // An index of queue_ by visibility, so a receive looks only at what it can take. Brought up to
    // the current instant by `refresh_visibility` before it is read: every stored message is in
    // `visible_` (by sequence) or `hidden_` (by the instant it becomes visible, then sequence).
    // Scanning all of queue_ per receive was most of a receive during a backlog.
    mutable std::set<std::uint64_t> visible_;
    mutable std::set<std::pair<Instant, std::uint64_t>> hidden_;
    mutable std::size_t in_flight_ = 0;   // hidden messages holding a receipt handle
    std::vector<MessageRecord> records_;  // index = sequence - 1
    std::vector<Ack> acks_;
    std::vector<DeadLetter> dead_letters_;
    std::vector<std::string> expired_ids_;
    Counters counters_;
    SqsLongPolls long_polls_;  // the receives waiting for a message, woken in the order they came
    bool reaper_running_ = false;
    std::uint64_t dlq_sequence_ = 0;
};

}  // namespace scaleup::sim
