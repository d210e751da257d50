// SimulatedPostgres, the server side: the connection pool, the phases of a transaction (checkout,
// statement, COMMIT) and the faults that interrupt them. The fault model is stated at the top of
// simulated_postgres.hpp.
//
// All fault windows are known in advance, so a phase computes when it would end (stretched by any
// stall), when a drop would cut it and when its deadline passes, and sleeps until the earliest.
#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/backends/simulated_postgres.hpp"

namespace scaleup::sim {

namespace {

constexpr Instant kNever = Instant::max();

const char* kSslEof = "SSL SYSCALL error: EOF detected";
const char* kServerClosed = "server closed the connection unexpectedly";
const char* kRefused = "could not connect to server: Connection refused";

}  // namespace

// ---- FifoGate ---------------------------------------------------------------------------------

bool FifoGate::try_take(Waiter& waiter) {
    // First come, first served: a newcomer never overtakes a waiter.
    if (permits_ > 0 && queue_.empty()) {
        --permits_;
        waiter.granted = true;
    }
    return waiter.granted;
}

void FifoGate::enqueue(Waiter& waiter, std::coroutine_handle<> h, Instant deadline) {
    waiter.handle = h;
    waiter.timer = rt_.schedule(deadline, h);
    queue_.push_back(&waiter);
}

void FifoGate::forget(Waiter& waiter) {
    const auto it = std::find(queue_.begin(), queue_.end(), &waiter);
    if (it != queue_.end())
        queue_.erase(it);
}

void FifoGate::release() {
    if (queue_.empty()) {
        ++permits_;
        return;
    }
    // The permit passes straight to the oldest waiter; its deadline timer has not fired (a fired
    // timer resumes the waiter, which leaves the queue at once).
    Waiter* next = queue_.front();
    queue_.pop_front();
    next->granted = true;
    rt_.cancel_timer(next->timer);
    rt_.schedule(rt_.now(), next->handle);
}

// ---- construction -----------------------------------------------------------------------------

SimulatedPostgres::SimulatedPostgres(Runtime& rt, Options options)
    : rt_(rt),
      options_(std::move(options)),
      random_(rt.random().fork()),
      pool_(rt, options_.pool_size) {
    if (options_.pool_size < 1)
        throw std::invalid_argument("SimulatedPostgres: pool_size must be at least 1");
    connections_.resize(static_cast<std::size_t>(options_.pool_size));
    for (int i = options_.pool_size - 1; i >= 0; --i)
        idle_.push_back(i);
}

int SimulatedPostgres::connections_in_use() const {
    return options_.pool_size - static_cast<int>(idle_.size());
}

// ---- faults -----------------------------------------------------------------------------------

Instant SimulatedPostgres::stretched_end(Instant start, Duration work) const {
    Instant t = start;
    for (;;) {
        // Inside a stall nothing progresses: skip to its end (stalls may chain or overlap).
        bool moved = true;
        while (moved) {
            moved = false;
            for (const auto& w : options_.stalls) {
                if (w.contains(t)) {
                    t = w.end;
                    moved = true;
                }
            }
        }
        Instant next_stall = kNever;
        for (const auto& w : options_.stalls) {
            if (w.start > t && w.end > w.start)
                next_stall = std::min(next_stall, w.start);
        }
        if (next_stall == kNever || next_stall - t >= work)
            return t + work;
        work -= next_stall - t;
        t = next_stall;
    }
}

std::optional<SimulatedPostgres::Drop> SimulatedPostgres::first_drop_in(Instant after,
                                                                        Instant until) const {
    std::optional<Drop> first;
    // A window [s, e) drops connections throughout; an instant [t, t) at t. The earliest moment in
    // (after, until] that a window covers is max(s, after + 1 ns).
    const auto consider = [&](const std::vector<FaultWindow>& windows, DropCause cause) {
        for (const auto& w : windows) {
            const Instant end = std::max(w.end, w.start + nanoseconds(1));
            const Instant at = std::max(w.start, after + nanoseconds(1));
            if (at < end && at <= until && (!first || at < first->at))
                first = Drop{at, cause};
        }
    };
    consider(options_.outages, DropCause::outage);
    consider(options_.ssl_disconnects, DropCause::ssl);
    return first;
}

SimulatedPostgres::PhaseWait SimulatedPostgres::run_phase(Duration work, Instant deadline) {
    const Instant start = rt_.now();
    Phase phase;
    Instant until = stretched_end(start, work);
    if (deadline < until) {
        until = deadline;
        phase.end = PhaseEnd::deadline;
    }
    if (const auto drop = first_drop_in(start, until)) {
        until = drop->at;
        phase = Phase{PhaseEnd::dropped, drop->cause};
    }
    return PhaseWait{rt_, until, phase};  // no sleep when it ends at once
}

Duration SimulatedPostgres::statement_work() {
    Duration work = options_.statement_latency.draw(random_);
    const bool slow =
        any_active(options_.slow_query_windows, rt_.now()) ||
        (!options_.slow_query_rate.is_zero() && random_.chance(options_.slow_query_rate));
    if (slow)
        work += options_.slow_query_extra.draw(random_);
    return work;
}

ServiceError SimulatedPostgres::connection_lost(DropCause cause, ErrorKind kind) const {
    // Client-side errors carry no SQLSTATE; libpq's own words.
    return make_error(kind, "postgres", "connection_lost",
                      cause == DropCause::ssl ? kSslEof : kServerClosed);
}

void SimulatedPostgres::trace(std::string_view event, const Transaction& tx,
                              std::string_view detail) const {
    if (!rt_.tracing())
        return;
    rt_.tracef("postgres", event, FMT_COMPILE("tx={} op={} key={}{}{}"), tx.id, tx.operation,
               tx.key, detail.empty() ? "" : " ", detail);
}

// ---- the phases of a transaction --------------------------------------------------------------

SimulatedPostgres::Transaction SimulatedPostgres::begin(const char* operation, std::string_view key,
                                                        Access access) {
    return Transaction{operation, key, access, next_transaction_++};
}

// Checkout, then the statement, in one coroutine: a frame per phase cost two allocations a
// transaction. What is decided between the waits is in the functions below it.
Task<Status> SimulatedPostgres::execute(Transaction& tx) {
    // Checkout: a connection from the pool, validated on the way out.
    const Instant checkout_deadline = rt_.now() + options_.checkout_timeout;
    FifoGate::Waiter pool_waiter;
    const bool got_connection = co_await pool_.acquire(pool_waiter, checkout_deadline);
    if (!got_connection) {
        ++stats_.rolled_back;
        trace("pool_timeout", tx, "waited_for=connection");
        co_return pool_timeout();
    }
    const bool stale = take_idle_connection(tx);
    if (stale && any_active(options_.outages, rt_.now())) {
        // The refusal (a TCP RST) takes one round trip; then the connection slot goes back.
        co_await rt_.sleep(options_.connect_latency.min);
        ++stats_.connections_refused;
        co_return roll_back(
            tx, make_error(ErrorKind::transient, "postgres", "connection_refused", kRefused), true);
    }
    const Duration connect = stale ? options_.connect_latency.draw(random_) : Duration{0};
    const Phase validated = co_await run_phase(connect, checkout_deadline);
    if (Status checked = after_checkout(tx, validated, stale); !checked.ok())
        co_return checked;

    // The statement: statement_timeout counts from its start, lock wait included.
    const Instant cancel_at =
        options_.statement_timeout ? rt_.now() + *options_.statement_timeout : kNever;
    if (tx.access == Access::write_serialised) {
        const auto drop = first_drop_in(rt_.now(), kNever);
        const Instant give_up = drop ? std::min(cancel_at, drop->at) : cancel_at;
        FifoGate::Waiter lock_waiter;
        const bool got_lock = co_await reservation_lock_.acquire(lock_waiter, give_up);
        if (!got_lock) {
            if (drop && drop->at <= rt_.now()) {
                ++stats_.connections_lost;
                co_return roll_back(tx, connection_lost(drop->cause, ErrorKind::transient), true);
            }
            co_return roll_back(tx, statement_cancelled(), false);
        }
        tx.holds_lock = true;
    }
    const Phase ran = co_await run_phase(statement_work(), cancel_at);
    co_return after_statement(tx, ran);
}

ServiceError SimulatedPostgres::pool_timeout() {
    ++stats_.pool_timeouts;
    return make_error(ErrorKind::transient, "postgres", "pool_timeout",
                      fmt::format("no connection from the pool (size {}) within {}",
                                  options_.pool_size, format_duration(options_.checkout_timeout)));
}

ServiceError SimulatedPostgres::statement_cancelled() {
    ++stats_.statement_timeouts;
    return make_error(ErrorKind::transient, "postgres", "57014",
                      "canceling statement due to statement timeout");
}

bool SimulatedPostgres::take_idle_connection(Transaction& tx) {
    tx.connection = idle_.back();
    idle_.pop_back();
    // Validate on checkout: a connection that dropped since its last use is replaced.
    const Connection& connection = connections_[static_cast<std::size_t>(tx.connection)];
    return !connection.open || first_drop_in(connection.last_used, rt_.now()).has_value();
}

Status SimulatedPostgres::after_checkout(Transaction& tx, Phase validated, bool reconnected) {
    if (validated.end == PhaseEnd::deadline) {
        // The hung connection is discarded; its slot goes back to the pool.
        trace("pool_timeout", tx, "waited_for=validation");
        return roll_back(tx, pool_timeout(), true);
    }
    if (validated.end == PhaseEnd::dropped) {
        ++stats_.connections_lost;
        return roll_back(tx, connection_lost(validated.cause, ErrorKind::transient), true);
    }
    if (reconnected)
        ++stats_.reconnects;
    connections_[static_cast<std::size_t>(tx.connection)].open = true;
    return ok_status();
}

Status SimulatedPostgres::after_statement(Transaction& tx, Phase ran) {
    if (ran.end == PhaseEnd::dropped) {
        ++stats_.connections_lost;
        return roll_back(tx, connection_lost(ran.cause, ErrorKind::transient), true);
    }
    if (ran.end == PhaseEnd::deadline)
        return roll_back(tx, statement_cancelled(), false);
    if (tx.access != Access::read && !options_.serialization_failure_rate.is_zero() &&
        random_.chance(options_.serialization_failure_rate)) {
        ++stats_.serialization_failures;
        return roll_back(tx,
                         make_error(ErrorKind::transient, "postgres", "40001",
                                    "could not serialize access due to concurrent update"),
                         false);
    }
    return ok_status();
}

SimulatedPostgres::CommitWait SimulatedPostgres::send_commit(Transaction& tx) {
    return CommitWait{*this, tx, run_phase(options_.commit_latency.draw(random_), kNever)};
}

SimulatedPostgres::Commit SimulatedPostgres::commit_fate(Transaction& tx, Phase phase) {
    if (phase.end != PhaseEnd::dropped)
        return Commit{CommitFate::committed, phase.cause};
    // COMMIT was sent and the connection died before the answer: the server may have committed.
    const bool applied = random_.chance(options_.lost_commit_applied);
    trace("commit_lost", tx, applied ? "applied=true" : "applied=false");
    return Commit{applied ? CommitFate::lost_applied : CommitFate::lost_dropped, phase.cause};
}

// ---- ending a transaction ---------------------------------------------------------------------

void SimulatedPostgres::return_connection(Transaction& tx, bool connection_dropped) {
    if (tx.holds_lock) {
        tx.holds_lock = false;
        reservation_lock_.release();
    }
    if (tx.connection < 0)
        return;
    Connection& connection = connections_[static_cast<std::size_t>(tx.connection)];
    connection.last_used = rt_.now();
    if (connection_dropped)
        connection.open = false;
    idle_.push_back(tx.connection);
    tx.connection = -1;
    pool_.release();
}

ServiceError SimulatedPostgres::roll_back(Transaction& tx, ServiceError error,
                                          bool connection_dropped) {
    ++stats_.rolled_back;
    return_connection(tx, connection_dropped);
    if (rt_.tracing())
        trace("rollback", tx, fmt::format("code={}", error.code));
    return error;
}

Status SimulatedPostgres::finish(Transaction& tx, Commit commit) {
    const bool lost = commit.fate != CommitFate::committed;
    return_connection(tx, lost);
    // Counted once: it walks the open leases.
    const int live = commit.applies() || (!lost && rt_.tracing()) ? live_slots() : 0;
    if (commit.applies()) {
        ++stats_.committed;
        committed_.push_back({tx.operation, Identifier(tx.key), rt_.now()});
        max_live_slots_seen_ = std::max(max_live_slots_seen_, live);
    }
    if (!lost) {
        if (rt_.tracing()) {
            char detail[32];  // "live=" and an int: no string per commit
            const auto written = fmt::format_to_n(detail, sizeof(detail), "live={}", live).size;
            trace("commit", tx, std::string_view(detail, std::min(written, sizeof(detail))));
        }
        return ok_status();
    }
    ++stats_.connections_lost;
    ++(commit.applies() ? stats_.lost_commits_applied : stats_.lost_commits_dropped);
    return connection_lost(commit.cause, ErrorKind::unknown_outcome);
}

void SimulatedPostgres::finish_read(Transaction& tx) {
    ++stats_.reads;
    return_connection(tx, false);
    trace("read", tx, "");
}

}  // namespace scaleup::sim
