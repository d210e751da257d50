// SimulatedPostgres: the ledger (LedgerPort) on a model of a Postgres server behind a connection
// pool.
//
// FAULT MODEL. Every knob is off by default. Windows are [start, end) of simulated time; an empty
// window [t, t) is the instant t.
// - Pool: `pool_size` connections handed out first come, first served. A checkout that gets no
//   usable connection within `checkout_timeout` fails (transient, `pool_timeout`). After any drop a
//   connection reconnects on its next checkout (`connect_latency`).
// - `ssl_disconnects`: every connection drops; libpq says "SSL SYSCALL error: EOF detected". A
//   transaction that had not sent COMMIT is rolled back (transient, `connection_lost`). One whose
//   COMMIT was in flight ends with `unknown_outcome`: a draw (`lost_commit_applied`) decides
//   whether the server committed it, and the caller cannot tell which.
// - `stalls`: the server makes no progress. Checkouts hang until their timeout (the tuist incident
// of
//   2026-05-19); statements and commits in flight wait for the stall to end, unless
//   `statement_timeout` cancels them first.
// - `slow_query_windows` and `slow_query_rate`: a statement takes `slow_query_extra` longer.
// - `statement_timeout`: a statement that runs longer, lock wait included, is cancelled (SQLSTATE
//   57014) and its transaction rolled back.
// - `serialization_failure_rate`: a write transaction fails with SQLSTATE 40001, rolled back.
// - `outages`: the server is down. Connections in use drop ("server closed the connection
//   unexpectedly"); new ones are refused ("could not connect to server: Connection refused").
// The core must tolerate any call failing with a retryable error. It must also survive a write
// whose outcome is unknown: a retry by the same key must never count a slot, a launch or a delivery
// twice. This model is stricter than a real server in one way: every write is an explicit
// BEGIN ... COMMIT, so a lost COMMIT really can go either way.
//
// Each LedgerPort call is one transaction: checkout, BEGIN and the statement (reservations first
// take a lock that serialises them, as `pg_advisory_xact_lock` would), COMMIT, then the connection
// goes back to the pool. A transaction's effects are computed and applied at one instant, when the
// server commits, so they apply entirely or not at all. Reads are single autocommit SELECTs.
#pragma once

#include <coroutine>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/identifier.hpp"
#include "core/common/lookup_table.hpp"
#include "core/ports/ledger.hpp"
#include "core/runtime/runtime.hpp"
#include "sim/backends/sim_common.hpp"

namespace scaleup::sim {

/// A counting semaphore that serves its waiters first come, first served, each with a deadline: the
/// pool's connections and the lock that serialises reservations.
class FifoGate {
  public:
    FifoGate(Runtime& rt, int permits) : rt_(rt), permits_(permits) {}

    /// Lives in the waiting coroutine's frame: awaiters hold only references (g++ 12, see
    /// docs/architecture.md).
    struct Waiter {
        std::coroutine_handle<> handle;
        TimerId timer = 0;
        bool granted = false;
    };
    struct Acquire {
        FifoGate& gate;
        Waiter& waiter;
        Instant deadline;
        bool await_ready() { return gate.try_take(waiter) || deadline <= gate.rt_.now(); }
        void await_suspend(std::coroutine_handle<> h) { gate.enqueue(waiter, h, deadline); }
        bool await_resume() {
            if (!waiter.granted)
                gate.forget(waiter);
            return waiter.granted;
        }
    };
    /// `co_await gate.acquire(w, deadline)`: true once a permit is held, false if `deadline` came
    /// first.
    Acquire acquire(Waiter& waiter, Instant deadline) { return Acquire{*this, waiter, deadline}; }
    /// Returns a permit; the oldest waiter gets it.
    void release();

    int available() const { return permits_; }
    std::size_t waiting() const { return queue_.size(); }

  private:
    bool try_take(Waiter& waiter);
    void enqueue(Waiter& waiter, std::coroutine_handle<> h, Instant deadline);
    void forget(Waiter& waiter);

    Runtime& rt_;
    int permits_;
    std::deque<Waiter*> queue_;  // arrival order; pointers are only compared for identity
};

class SimulatedPostgres final : public LedgerPort {
  public:
    struct Options {
        int pool_size = 10;
        Duration checkout_timeout = seconds(5);
        LatencyRange connect_latency{milliseconds(5), milliseconds(20)};
        LatencyRange statement_latency{milliseconds(1), milliseconds(5)};  // BEGIN + statement
        LatencyRange commit_latency{milliseconds(1), milliseconds(3)};     // COMMIT round trip
        std::optional<Duration> statement_timeout;  // Postgres's default 0: no limit

        std::vector<FaultWindow> ssl_disconnects;
        /// When a connection drops while its COMMIT is in flight: the chance the server committed.
        Ratio lost_commit_applied{1, 2};
        std::vector<FaultWindow> stalls;
        std::vector<FaultWindow> slow_query_windows;
        Ratio slow_query_rate = Ratio::never();
        LatencyRange slow_query_extra{seconds(1), seconds(10)};
        Ratio serialization_failure_rate = Ratio::never();
        std::vector<FaultWindow> outages;
        /// Count every applied write per operation and key (times_applied), for tests of
        /// idempotence. Off in worlds: a day applies half a million writes, and keeping a count
        /// per GUID was several percent of its time.
        bool count_applied_writes = false;
    };

    // A day commits some 350,000 of these: the operation is a view of its literal name, and the
    // log is a deque, which grows without copying what it holds.
    struct CommittedTransaction {
        std::string_view operation;
        Identifier key;  // a GUID or an instance id: inline
        Instant at;
    };

    struct Stats {
        std::uint64_t committed = 0;  // write transactions, lost commits that applied included
        std::uint64_t reads = 0;
        std::uint64_t rolled_back = 0;  // failed before COMMIT was sent (or before checkout)
        std::uint64_t lost_commits_applied = 0;
        std::uint64_t lost_commits_dropped = 0;
        std::uint64_t pool_timeouts = 0;
        std::uint64_t connections_refused = 0;
        std::uint64_t connections_lost = 0;
        std::uint64_t statement_timeouts = 0;
        std::uint64_t serialization_failures = 0;
        std::uint64_t reconnects = 0;
        /// commit_launch for a reservation that was never made (a caller bug; recorded anyway).
        std::uint64_t launches_without_reservation = 0;
        /// commit_launch with more instances than the reservation granted.
        std::uint64_t launches_beyond_grant = 0;
    };

    SimulatedPostgres(Runtime& rt, Options options);

    Task<Result<int>> reserve_slots(std::string reservation_id, int wanted, int maximum,
                                    Instant lease_until) override;
    Task<Status> commit_launch(std::string reservation_id,
                               std::vector<LaunchedInstance> instances) override;
    Task<Status> release_instance(Identifier instance_id) override;
    Task<Status> mark_configured(std::int64_t job_id, Identifier instance_id) override;
    Task<Result<std::optional<std::string>>> configured_instance_for_job(
        std::int64_t job_id) override;
    Task<Result<bool>> record_delivery(Identifier delivery_guid, std::int64_t job_id,
                                       std::string message_body, Instant received_at) override;
    Task<Result<std::vector<OutboxEntry>>> pending_outbox(int limit) override;
    Task<Status> mark_outbox_sent(Identifier delivery_guid) override;
    Task<Status> note_enqueued(std::int64_t job_id, Instant at) override;
    Task<Result<std::optional<Instant>>> last_enqueued(std::int64_t job_id) override;
    Task<Result<std::vector<LaunchedInstance>>> held_instances() override;

    // ---- observability for checkers ---------------------------------------------------------
    /// Slots held by instances plus unexpired, uncommitted reservations, now.
    int live_slots() const;
    /// The most live slots seen right after any commit.
    int max_live_slots_seen() const { return max_live_slots_seen_; }
    /// Every committed write transaction, in commit order (no-op retries included).
    const std::deque<CommittedTransaction>& committed() const { return committed_; }
    /// How many times a write actually took effect for this key (rows created or changed):
    /// "reserve_slots", "commit_launch", "release_instance", "mark_configured",
    /// "record_delivery", "mark_outbox_sent". Idempotency means never more than 1.
    int times_applied(std::string_view operation, const std::string& key) const;
    /// The largest `times_applied` over every operation and key (0 when nothing applied).
    int max_times_applied() const;
    const Stats& stats() const { return stats_; }
    int connections_in_use() const;
    std::size_t checkouts_waiting() const { return pool_.waiting(); }
    const Options& options() const { return options_; }
    /// The drain's heal: slow queries and serialization failures stop.
    void heal_rate_faults() {
        options_.slow_query_rate = options_.serialization_failure_rate = Ratio::never();
    }

  private:
    // ---- the server and its pool (simulated_postgres_pool.cpp) -------------------------------
    enum class Access { read, write, write_serialised };
    enum class DropCause { ssl, outage };
    enum class PhaseEnd { finished, dropped, deadline };
    enum class CommitFate { committed, lost_applied, lost_dropped };

    // A transaction names its row by a view of the operation's own argument (or a named local
    // of the operation), which lives as long as the operation's frame: a copy per transaction
    // was an allocation for every instance id and GUID. Only the committed log owns its keys.
    struct Transaction {
        const char* operation;
        std::string_view key;
        Access access;
        std::uint64_t id;
        int connection = -1;
        bool holds_lock = false;
    };
    struct Connection {
        bool open = false;
        Instant last_used{};
    };
    struct Drop {
        Instant at;
        DropCause cause;
    };
    struct Phase {
        PhaseEnd end = PhaseEnd::finished;
        DropCause cause = DropCause::ssl;
    };
    struct Commit {
        CommitFate fate = CommitFate::committed;
        DropCause cause = DropCause::ssl;
        bool applies() const { return fate != CommitFate::lost_dropped; }
    };

    Transaction begin(const char* operation, std::string_view key, Access access);
    /// A temporary key would be gone before the transaction ends.
    Transaction begin(const char* operation, std::string&& key, Access access) = delete;
    /// Checkout, BEGIN and the statement. On failure the transaction is already rolled back.
    Task<Status> execute(Transaction& tx);
    ServiceError pool_timeout();
    ServiceError statement_cancelled();
    /// Takes an idle connection for `tx`; true if it dropped since its last use (reconnect).
    bool take_idle_connection(Transaction& tx);
    Status after_checkout(Transaction& tx, Phase validated, bool reconnected);
    Status after_statement(Transaction& tx, Phase ran);
    /// Ends a write transaction: logs it, returns the connection; the error for a lost COMMIT.
    Status finish(Transaction& tx, Commit commit);
    void finish_read(Transaction& tx);
    ServiceError roll_back(Transaction& tx, ServiceError error, bool connection_dropped);
    void return_connection(Transaction& tx, bool connection_dropped);

    /// Sleeps while `work` gets done (the server does nothing during a stall), unless a drop or
    /// `deadline` comes first.
    /// Sleeps through one phase and says how it ended. An awaiter, not a coroutine: a run has tens
    /// of thousands of phases, and a frame each was the largest share of the model's allocations.
    struct PhaseWait {
        Runtime& runtime;
        Instant until;
        Phase phase;
        bool await_ready() const noexcept { return until <= runtime.now(); }
        void await_suspend(std::coroutine_handle<> h) { runtime.schedule(until, h); }
        Phase await_resume() const noexcept { return phase; }
    };
    PhaseWait run_phase(Duration work, Instant deadline);
    /// COMMIT's phase, then its fate: an awaiter too (a commit a transaction).
    struct CommitWait {
        SimulatedPostgres& db;
        Transaction& tx;
        PhaseWait phase;
        bool await_ready() const noexcept { return phase.await_ready(); }
        void await_suspend(std::coroutine_handle<> h) { phase.await_suspend(h); }
        Commit await_resume() { return db.commit_fate(tx, phase.await_resume()); }
    };
    /// The COMMIT round trip. The caller applies the effects if `applies()`, then calls `finish`.
    CommitWait send_commit(Transaction& tx);
    Commit commit_fate(Transaction& tx, Phase phase);
    Instant stretched_end(Instant start, Duration work) const;
    /// The first instant in (after, until] at which every connection drops.
    std::optional<Drop> first_drop_in(Instant after, Instant until) const;
    Duration statement_work();
    ServiceError connection_lost(DropCause cause, ErrorKind kind) const;
    void trace(std::string_view event, const Transaction& tx, std::string_view detail) const;

    // ---- the tables (simulated_postgres.cpp) -------------------------------------------------
    struct Reservation {
        int granted = 0;
        Instant lease_until{};
        bool committed = false;
    };
    struct HeldInstance {
        std::int64_t job_id = 0;
        std::string reservation_id;
    };
    struct Delivery {
        OutboxEntry entry;
        std::uint64_t sequence = 0;  // insertion order breaks ties between equal received_at
        bool sent = false;
    };

    int apply_reserve(const std::string& id, int wanted, int maximum, Instant lease_until);
    void apply_commit_launch(const std::string& id, const std::vector<LaunchedInstance>& instances);
    bool apply_record_delivery(const Identifier& guid, std::int64_t job_id, const std::string& body,
                               Instant received_at);
    void count_applied(std::string_view operation, std::string_view key);
    void prune_expired_leases();

    Runtime& rt_;
    Options options_;
    Random random_;
    FifoGate pool_;
    FifoGate reservation_lock_{rt_, 1};
    std::vector<Connection> connections_;
    std::vector<int> idle_;  // connections not checked out, most recently used last
    std::uint64_t next_transaction_ = 1;

    // Every reservation and delivery of the run: searched by id, never listed (see
    // lookup_table.hpp).
    LookupTable<std::string, Reservation> reservations_;
    // Uncommitted reservations that grant slots, by (lease_until, id): the live ones are counted
    // without a scan of every reservation ever made; expired ones are pruned as writes go by.
    std::set<std::pair<Instant, std::string>> open_leases_;
    std::map<Identifier, HeldInstance> instances_;
    // Looked up by job, never walked: hashed, where a tree's nodes were a cache miss or two a
    // lookup (a seed notes and reads every job's).
    LookupTable<std::int64_t, std::string> configured_;
    LookupTable<Identifier, Delivery> deliveries_;
    std::map<std::pair<Instant, std::uint64_t>, Identifier> outbox_;  // unsent, oldest first
    std::uint64_t next_delivery_ = 1;
    LookupTable<std::int64_t, Instant> enqueued_;  // looked up by job, never walked

    std::deque<CommittedTransaction> committed_;
    // Only with Options::count_applied_writes.
    using KeyCounts = std::map<std::string, int, std::less<>>;
    std::map<std::string, KeyCounts, std::less<>> applied_;  // operation -> key -> times applied
    int max_live_slots_seen_ = 0;
    Stats stats_;
};

}  // namespace scaleup::sim
