// LedgerPort: the control plane's durable record (Postgres in production).
//
// Two things must survive crashes, redeliveries and several consumers at once: which job already
// got an instance (so a duplicate message launches nothing), and how many runner slots are taken
// (so the maximum holds across consumers). Every operation is idempotent by its key: a retry after
// a dropped connection with an unknown commit outcome never double-counts a slot or a launch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/common/identifier.hpp"
#include "core/common/result.hpp"
#include "core/runtime/task.hpp"
#include "core/runtime/time.hpp"

namespace scaleup {

struct LaunchedInstance {
    Identifier instance_id;
    std::int64_t job_id = 0;  // the job whose message caused the launch (bookkeeping only)
};

struct OutboxEntry {
    Identifier delivery_guid;
    std::int64_t job_id = 0;
    std::string message_body;
    Instant received_at{};
};

class LedgerPort {
  public:
    virtual ~LedgerPort() = default;

    /// Atomically reserves up to `wanted` runner slots without the total of live slots (reserved
    /// or held by instances) exceeding `maximum`; returns how many were granted. Idempotent by
    /// `reservation_id`: a retry returns the first grant. Unbound reservations expire at
    /// `lease_until`, so a consumer that crashed mid-launch does not leak capacity.
    virtual Task<Result<int>> reserve_slots(std::string reservation_id, int wanted, int maximum,
                                            Instant lease_until) = 0;
    /// Turns reserved slots into slots held by these instances, records which job each launch
    /// served, and releases whatever the reservation has left. Idempotent by `reservation_id`.
    virtual Task<Status> commit_launch(std::string reservation_id,
                                       std::vector<LaunchedInstance> instances) = 0;
    /// Releases the slot an instance held (terminated, failed to configure). Idempotent.
    virtual Task<Status> release_instance(Identifier instance_id) = 0;
    /// Marks the job's instance as configured (config stored): from then on the job is served.
    virtual Task<Status> mark_configured(std::int64_t job_id, Identifier instance_id) = 0;
    /// The configured instance that already serves this job, if any.
    virtual Task<Result<std::optional<std::string>>> configured_instance_for_job(
        std::int64_t job_id) = 0;

    // ---- intake and the outbox (docs/core.md, "Intake") -------------------------------------
    /// Records an accepted delivery and its queue message in one transaction, keyed by the
    /// delivery GUID. True if newly recorded; false if the GUID was already there (a redelivery:
    /// a no-op). The message waits in the outbox until `mark_outbox_sent`.
    virtual Task<Result<bool>> record_delivery(Identifier delivery_guid, std::int64_t job_id,
                                               std::string message_body, Instant received_at) = 0;
    /// Outbox entries not yet sent, oldest first.
    virtual Task<Result<std::vector<OutboxEntry>>> pending_outbox(int limit) = 0;
    virtual Task<Status> mark_outbox_sent(Identifier delivery_guid) = 0;

    // ---- reconciliation and scale-down ------------------------------------------------------
    /// Remembers that a message for the job was put on the queue at `at` (intake, relay or
    /// reconciler), so the reconciler does not enqueue it again while it is in flight.
    virtual Task<Status> note_enqueued(std::int64_t job_id, Instant at) = 0;
    virtual Task<Result<std::optional<Instant>>> last_enqueued(std::int64_t job_id) = 0;
    /// Instances holding a slot, with the job they were launched for.
    virtual Task<Result<std::vector<LaunchedInstance>>> held_instances() = 0;
};

}  // namespace scaleup
