// SimulatedConsumers: the Lambda SQS event source mapping that feeds batches to the handler.
//
// Fault model (what it can do wrong, and the knob):
// - Whole-batch failure. Partial batch response (`ReportBatchItemFailures`) deletes every message
//   not listed in `item_failures`. An item failure naming a message that is not in the batch (or
//   an empty id), a handler that throws, a handler still running at `function_timeout`, or a
//   crash fails the WHOLE batch: nothing is deleted, and every message comes back after its
//   visibility timeout, even those the handler had already served. With
//   `report_batch_item_failures` false (the flag missing on the mapping) the list is ignored and
//   everything is deleted.
// - `crash_rate`: per invocation, the runtime dies at a random point of the handler's run (drawn
//   up to the longest run seen so far, or the function timeout before any). Its response is lost.
// - Abandoned handlers are not frozen: after a timeout or a crash the handler's task runs on to
//   its end (with_timeout's semantics), so its calls may still land after its messages came back.
// - `cold_start`: the first invocation of each poller, and the first after `idle_before_cold`
//   without one, waits a drawn init latency first (not counted against the function timeout).
// - Batching: each poller long-polls (`long_poll_wait`, at most 20 s) for up to `batch_size`
//   (1-10) messages. With a `batching_window` (at most 5 min) it keeps receiving from the first
//   message until the batch is full or the window ends; the visibility clock of the first
//   messages runs meanwhile. A failed receive backs off `receive_error_backoff`.
// The core must tolerate all of these: a batch may be redelivered whole after part of it was
// served (the ledger makes a served job `already_served`), and a deadline must be kept.
//
// `stop()` stops every poller at its next step: a receive in progress finishes, and what it
// returned is left in flight (it comes back after its visibility timeout, as when a mapping is
// disabled); an invocation in progress finishes with its deletes.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/consumer/batch_handler.hpp"
#include "core/ports/queue.hpp"
#include "core/runtime/runtime.hpp"
#include "sim/backends/sim_common.hpp"

namespace scaleup::sim {

class SimulatedConsumers {
  public:
    /// The function: `BatchHandler::handle` or any test handler.
    using Handler = std::function<Task<BatchResult>(std::vector<QueueMessage>, Instant)>;

    struct Options {
        int consumers = 5;                       // concurrent pollers
        int batch_size = 10;                     // 1 - 10
        Duration batching_window = Duration{0};  // 0 - 5 min
        Duration function_timeout = seconds(30);
        Duration long_poll_wait = seconds(20);   // (0, 20 s]
        bool report_batch_item_failures = true;  // FunctionResponseTypes on the mapping
        Duration receive_error_backoff = seconds(1);
        Duration idle_before_cold = minutes(10);  // an idle execution environment is reclaimed
        Ratio crash_rate = Ratio::never();        // fault: the invocation dies mid-run
        LatencyRange cold_start{Duration{0}, Duration{0}};  // fault: init latency
    };

    enum class Outcome {
        succeeded,      // no item failures: every message deleted
        partial,        // the listed messages stay, the rest deleted
        unknown_item,   // an item failure not in the batch: whole batch fails
        handler_error,  // the handler threw: whole batch fails
        timed_out,      // still running at the function timeout: whole batch fails
        crashed,        // the runtime died mid-run: whole batch fails
    };

    struct Invocation {
        int consumer = 0;
        Instant started{};   // when the batch was handed over (before any cold start)
        Instant finished{};  // after the deletes
        bool cold = false;
        std::vector<std::string> message_ids;
        Outcome outcome = Outcome::succeeded;
        std::vector<std::string> deleted;  // deletes that returned success
        std::string error;                 // the exception's text, or the unknown id
    };

    struct Counters {
        int invocations = 0;
        int batches_succeeded = 0;
        int batches_partial = 0;
        int batches_failed_whole = 0;
        int unknown_item_failures = 0;
        int handler_errors = 0;
        int timeouts = 0;
        int crashes = 0;
        int cold_starts = 0;
        int messages_deleted = 0;
        int delete_failures = 0;
        int receive_errors = 0;
        int max_concurrent_invocations = 0;
        // Messages whose handler returned, including handlers Lambda had already given up on (a
        // timed-out or crashed invocation's handler runs on: with_timeout abandons, not kills).
        std::uint64_t messages_handled = 0;
    };

    SimulatedConsumers(Runtime& rt, QueuePort& queue, Handler handler, Options options);

    /// A handler that calls `handler.handle`; `handler` must outlive the consumers.
    static Handler handler_for(BatchHandler& handler);

    /// Spawns the pollers. Precondition: not running.
    void start();
    /// Asks every poller to stop at its next step (see the header comment).
    void stop();
    bool stopping() const { return stop_.cancelled(); }
    int active_pollers() const { return active_pollers_; }
    int running_invocations() const { return running_invocations_; }

    const Counters& counters() const { return counters_; }
    const std::vector<Invocation>& invocations() const { return invocations_; }
    const Options& options() const { return options_; }
    /// The drain's heal: invocations stop crashing.
    void heal_rate_faults() { options_.crash_rate = Ratio::never(); }

  private:
    struct HandlerRun {
        bool finished = false;  // returned within the limit
        bool threw = false;
        std::string error;
        BatchResult result;
    };
    struct Poller {
        int index = 0;
        std::optional<Instant> last_invocation_end;
    };

    Task<void> poll_loop(int index);
    Task<std::vector<QueueMessage>> collect_batch(int index);
    Task<std::vector<QueueMessage>> receive_some(int index, int max_messages, Duration wait);
    Task<void> invoke(Poller& poller, std::vector<QueueMessage> batch);
    Task<BatchResult> counted_handler(std::vector<QueueMessage> batch, Instant deadline);
    Task<HandlerRun> run_handler(std::vector<QueueMessage> batch, Instant deadline, Duration limit);
    Task<void> settle(Invocation& invocation, const std::vector<QueueMessage>& batch,
                      const HandlerRun& run, bool crashed);
    Task<void> delete_acknowledged(Invocation& invocation, const std::vector<QueueMessage>& batch,
                                   const std::vector<std::string>& item_failures);
    void fail_whole(Invocation& invocation, Outcome outcome, std::string error);
    Duration crash_horizon() const;

    Runtime& rt_;
    QueuePort& queue_;
    Handler handler_;
    Options options_;
    Random random_;
    CancellationSource stop_;
    int active_pollers_ = 0;
    int running_invocations_ = 0;
    Duration longest_run_{0};  // longest handler run that finished: where crashes land
    Counters counters_;
    std::vector<Invocation> invocations_;
};

std::string_view to_string(SimulatedConsumers::Outcome outcome);

}  // namespace scaleup::sim
