// SimulatedPostgres, the ledger's tables and operations. The fault model is stated at the top of
// simulated_postgres.hpp; the pool and the phases of a transaction are in
// simulated_postgres_pool.cpp.
//
// Every write is keyed as its SQL would be (INSERT ... ON CONFLICT (key) DO NOTHING, or a guarded
// UPDATE), so replaying it after a lost COMMIT changes nothing. `count_applied` records each write
// that did change a row (with Options::count_applied_writes), so a test can prove that none took
// effect twice.
#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/backends/simulated_postgres.hpp"

namespace scaleup::sim {

// ---- slots: reserve, commit, release ----------------------------------------------------------

Task<Result<int>> SimulatedPostgres::reserve_slots(std::string reservation_id, int wanted,
                                                   int maximum, Instant lease_until) {
    Transaction tx = begin("reserve_slots", reservation_id, Access::write_serialised);
    const Status ran = co_await execute(tx);
    if (!ran.ok())
        co_return ran.error();
    const Commit commit = co_await send_commit(tx);
    int granted = 0;
    if (commit.applies())
        granted = apply_reserve(reservation_id, wanted, maximum, lease_until);
    const Status finished = finish(tx, commit);
    if (!finished.ok())
        co_return finished.error();
    co_return granted;
}

int SimulatedPostgres::apply_reserve(const std::string& id, int wanted, int maximum,
                                     Instant lease_until) {
    // A retry finds the row its first attempt wrote and returns that grant.
    if (const Reservation* existing = reservations_.find(id))
        return existing->granted;
    prune_expired_leases();
    const int granted = std::clamp(maximum - live_slots(), 0, std::max(wanted, 0));
    reservations_.try_emplace(id, Reservation{granted, lease_until, false});
    if (granted > 0 && lease_until > rt_.now())
        open_leases_.emplace(lease_until, id);
    count_applied("reserve_slots", id);
    return granted;
}

Task<Status> SimulatedPostgres::commit_launch(std::string reservation_id,
                                              std::vector<LaunchedInstance> instances) {
    Transaction tx = begin("commit_launch", reservation_id, Access::write);
    const Status ran = co_await execute(tx);
    if (!ran.ok())
        co_return ran.error();
    const Commit commit = co_await send_commit(tx);
    if (commit.applies())
        apply_commit_launch(reservation_id, instances);
    const Status finished = finish(tx, commit);
    if (!finished.ok())
        co_return finished.error();
    co_return ok_status();
}

void SimulatedPostgres::apply_commit_launch(const std::string& id,
                                            const std::vector<LaunchedInstance>& instances) {
    auto [reservation, created] = reservations_.try_emplace(id, Reservation{0, rt_.now(), false});
    // The instances exist whatever the caller got wrong, so they are recorded and hold slots; the
    // anomaly is counted for checkers.
    if (created)
        ++stats_.launches_without_reservation;
    if (reservation.committed)
        return;
    reservation.committed = true;
    open_leases_.erase({reservation.lease_until, id});
    if (static_cast<int>(instances.size()) > reservation.granted)
        ++stats_.launches_beyond_grant;
    for (const auto& instance : instances)
        instances_.try_emplace(instance.instance_id, HeldInstance{instance.job_id, id});
    count_applied("commit_launch", id);
}

Task<Status> SimulatedPostgres::release_instance(Identifier instance_id) {
    Transaction tx = begin("release_instance", instance_id, Access::write);
    const Status ran = co_await execute(tx);
    if (!ran.ok())
        co_return ran.error();
    const Commit commit = co_await send_commit(tx);
    if (commit.applies() && instances_.erase(instance_id) > 0)
        count_applied("release_instance", instance_id);
    const Status finished = finish(tx, commit);
    if (!finished.ok())
        co_return finished.error();
    co_return ok_status();
}

// ---- which job an instance serves -------------------------------------------------------------

Task<Status> SimulatedPostgres::mark_configured(std::int64_t job_id, Identifier instance_id) {
    const std::string key = std::to_string(job_id);
    Transaction tx = begin("mark_configured", key, Access::write);
    const Status ran = co_await execute(tx);
    if (!ran.ok())
        co_return ran.error();
    const Commit commit = co_await send_commit(tx);
    // ON CONFLICT (job_id) DO NOTHING: the first instance recorded for a job stays.
    if (commit.applies() && configured_.try_emplace(job_id, instance_id).second)
        count_applied("mark_configured", key);
    const Status finished = finish(tx, commit);
    if (!finished.ok())
        co_return finished.error();
    co_return ok_status();
}

Task<Result<std::optional<std::string>>> SimulatedPostgres::configured_instance_for_job(
    std::int64_t job_id) {
    const std::string key = std::to_string(job_id);
    Transaction tx = begin("configured_instance_for_job", key, Access::read);
    const Status ran = co_await execute(tx);
    if (!ran.ok())
        co_return ran.error();
    std::optional<std::string> instance;
    if (const std::string* configured = configured_.find(job_id))
        instance = *configured;
    finish_read(tx);
    co_return instance;
}

// ---- intake and the outbox --------------------------------------------------------------------

Task<Result<bool>> SimulatedPostgres::record_delivery(Identifier delivery_guid, std::int64_t job_id,
                                                      std::string message_body,
                                                      Instant received_at) {
    Transaction tx = begin("record_delivery", delivery_guid, Access::write);
    const Status ran = co_await execute(tx);
    if (!ran.ok())
        co_return ran.error();
    const Commit commit = co_await send_commit(tx);
    bool inserted = false;
    if (commit.applies())
        inserted = apply_record_delivery(delivery_guid, job_id, message_body, received_at);
    const Status finished = finish(tx, commit);
    if (!finished.ok())
        co_return finished.error();
    co_return inserted;
}

bool SimulatedPostgres::apply_record_delivery(const Identifier& guid, std::int64_t job_id,
                                              const std::string& body, Instant received_at) {
    const std::uint64_t sequence = next_delivery_;
    const bool inserted =
        deliveries_
            .try_emplace(guid,
                         Delivery{OutboxEntry{guid, job_id, body, received_at}, sequence, false})
            .second;
    if (!inserted)
        return false;
    ++next_delivery_;
    outbox_.emplace(std::make_pair(received_at, sequence), guid);
    count_applied("record_delivery", guid);
    return true;
}

Task<Result<std::vector<OutboxEntry>>> SimulatedPostgres::pending_outbox(int limit) {
    const std::string key = std::to_string(limit);
    Transaction tx = begin("pending_outbox", key, Access::read);
    const Status ran = co_await execute(tx);
    if (!ran.ok())
        co_return ran.error();
    // ORDER BY received_at, id LIMIT $1
    std::vector<OutboxEntry> entries;
    for (const auto& [order, guid] : outbox_) {
        if (static_cast<int>(entries.size()) >= limit)
            break;
        entries.push_back(deliveries_.at(guid).entry);
    }
    finish_read(tx);
    co_return entries;
}

Task<Status> SimulatedPostgres::mark_outbox_sent(Identifier delivery_guid) {
    Transaction tx = begin("mark_outbox_sent", delivery_guid, Access::write);
    const Status ran = co_await execute(tx);
    if (!ran.ok())
        co_return ran.error();
    const Commit commit = co_await send_commit(tx);
    if (commit.applies()) {
        // UPDATE ... SET sent = true WHERE guid = $1 AND NOT sent
        Delivery* delivery = deliveries_.find(delivery_guid);
        if (delivery != nullptr && !delivery->sent) {
            delivery->sent = true;
            outbox_.erase({delivery->entry.received_at, delivery->sequence});
            // A sent row is kept for its GUID alone (a redelivery must still find it): the body
            // and the entry's copy of the GUID go, as `SET body = NULL` would free them. A day
            // keeps 50,000 rows.
            std::string().swap(delivery->entry.message_body);
            delivery->entry.delivery_guid = Identifier();
            count_applied("mark_outbox_sent", delivery_guid);
        }
    }
    const Status finished = finish(tx, commit);
    if (!finished.ok())
        co_return finished.error();
    co_return ok_status();
}

// ---- reconciliation ---------------------------------------------------------------------------

Task<Status> SimulatedPostgres::note_enqueued(std::int64_t job_id, Instant at) {
    const std::string key = std::to_string(job_id);
    Transaction tx = begin("note_enqueued", key, Access::write);
    const Status ran = co_await execute(tx);
    if (!ran.ok())
        co_return ran.error();
    const Commit commit = co_await send_commit(tx);
    if (commit.applies()) {
        // ON CONFLICT DO UPDATE SET at = GREATEST(at, excluded.at): a late replay of an older note
        // never moves the time backwards.
        const auto [noted, inserted] = enqueued_.try_emplace(job_id, at);
        if (!inserted)
            noted = std::max(noted, at);
    }
    const Status finished = finish(tx, commit);
    if (!finished.ok())
        co_return finished.error();
    co_return ok_status();
}

Task<Result<std::optional<Instant>>> SimulatedPostgres::last_enqueued(std::int64_t job_id) {
    const std::string key = std::to_string(job_id);
    Transaction tx = begin("last_enqueued", key, Access::read);
    const Status ran = co_await execute(tx);
    if (!ran.ok())
        co_return ran.error();
    std::optional<Instant> at;
    if (const Instant* noted = enqueued_.find(job_id))
        at = *noted;
    finish_read(tx);
    co_return at;
}

Task<Result<std::vector<LaunchedInstance>>> SimulatedPostgres::held_instances() {
    Transaction tx = begin("held_instances", std::string_view("*"), Access::read);
    const Status ran = co_await execute(tx);
    if (!ran.ok())
        co_return ran.error();
    std::vector<LaunchedInstance> held;
    held.reserve(instances_.size());
    for (const auto& [instance_id, instance] : instances_)
        held.push_back({instance_id, instance.job_id});
    finish_read(tx);
    co_return held;
}

// ---- observability ----------------------------------------------------------------------------

int SimulatedPostgres::live_slots() const {
    int live = static_cast<int>(instances_.size());
    const auto first_live = open_leases_.lower_bound({rt_.now() + nanoseconds(1), std::string{}});
    for (auto it = first_live; it != open_leases_.end(); ++it)
        live += reservations_.at(it->second).granted;
    return live;
}

void SimulatedPostgres::prune_expired_leases() {
    while (!open_leases_.empty() && open_leases_.begin()->first <= rt_.now())
        open_leases_.erase(open_leases_.begin());
}

void SimulatedPostgres::count_applied(std::string_view operation, std::string_view key) {
    if (!options_.count_applied_writes)
        return;
    // Per operation, then per key: a day's run applies half a million writes, and one map keyed
    // by (operation, key) compared the operation's name on every step of every insert.
    auto per_operation = applied_.find(operation);
    if (per_operation == applied_.end())
        per_operation = applied_.emplace(std::string(operation), KeyCounts{}).first;
    KeyCounts& counts = per_operation->second;
    auto count = counts.find(key);
    if (count == counts.end())
        count = counts.emplace(std::string(key), 0).first;
    ++count->second;
}

int SimulatedPostgres::times_applied(std::string_view operation, const std::string& key) const {
    if (!options_.count_applied_writes)
        throw std::logic_error("times_applied: Options::count_applied_writes is off");
    const auto per_operation = applied_.find(operation);
    if (per_operation == applied_.end())
        return 0;
    const auto it = per_operation->second.find(key);
    return it == per_operation->second.end() ? 0 : it->second;
}

int SimulatedPostgres::max_times_applied() const {
    if (!options_.count_applied_writes)
        throw std::logic_error("max_times_applied: Options::count_applied_writes is off");
    int most = 0;
    for (const auto& [operation, counts] : applied_) {
        for (const auto& [key, count] : counts)
            most = std::max(most, count);
    }
    return most;
}

}  // namespace scaleup::sim
