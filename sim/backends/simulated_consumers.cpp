// SimulatedConsumers: pollers that receive batches, invoke the function under its timeout, and
// apply the partial batch response. The fault model is stated in simulated_consumers.hpp.
#include "sim/backends/simulated_consumers.hpp"

#include <algorithm>
#include <exception>
#include <set>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace scaleup::sim {

namespace {

std::string join_ids(const std::vector<std::string>& ids) {
    std::string out;
    for (const auto& id : ids) {
        if (!out.empty())
            out += ',';
        out += id;
    }
    return out.empty() ? "-" : out;
}

void check_options(const SimulatedConsumers::Options& o) {
    if (o.consumers < 1)
        throw std::invalid_argument("SimulatedConsumers: consumers must be at least 1");
    if (o.batch_size < 1 || o.batch_size > 10)
        throw std::invalid_argument("SimulatedConsumers: batch_size must be within 1-10");
    if (o.batching_window < Duration{0} || o.batching_window > minutes(5))
        throw std::invalid_argument("SimulatedConsumers: batching_window must be within 0-5 min");
    if (o.long_poll_wait <= Duration{0} || o.long_poll_wait > seconds(20))
        throw std::invalid_argument("SimulatedConsumers: long_poll_wait must be within (0, 20 s]");
    if (o.function_timeout <= Duration{0})
        throw std::invalid_argument("SimulatedConsumers: function_timeout must be positive");
}

}  // namespace

std::string_view to_string(SimulatedConsumers::Outcome outcome) {
    switch (outcome) {
        case SimulatedConsumers::Outcome::succeeded:
            return "succeeded";
        case SimulatedConsumers::Outcome::partial:
            return "partial";
        case SimulatedConsumers::Outcome::unknown_item:
            return "unknown_item";
        case SimulatedConsumers::Outcome::handler_error:
            return "handler_error";
        case SimulatedConsumers::Outcome::timed_out:
            return "timed_out";
        case SimulatedConsumers::Outcome::crashed:
            return "crashed";
    }
    return "unknown";
}

SimulatedConsumers::SimulatedConsumers(Runtime& rt, QueuePort& queue, Handler handler,
                                       Options options)
    : rt_(rt),
      queue_(queue),
      handler_(std::move(handler)),
      options_(std::move(options)),
      random_(rt.random().fork()) {
    check_options(options_);
}

SimulatedConsumers::Handler SimulatedConsumers::handler_for(BatchHandler& handler) {
    return [&handler](std::vector<QueueMessage> batch, Instant deadline) {
        return handler.handle(std::move(batch), deadline);
    };
}

void SimulatedConsumers::start() {
    if (active_pollers_ > 0)
        throw std::logic_error("SimulatedConsumers::start: already running");
    stop_ = CancellationSource{};
    if (rt_.tracing())
        rt_.tracef("consumer", "start", FMT_COMPILE("consumers={}"), options_.consumers);
    for (int i = 1; i <= options_.consumers; ++i)
        rt_.spawn(poll_loop(i));
}

void SimulatedConsumers::stop() {
    if (rt_.tracing())
        rt_.tracef("consumer", "stop", FMT_COMPILE("active={}"), active_pollers_);
    stop_.cancel(rt_);
}

// ---- polling --------------------------------------------------------------------------------

Task<void> SimulatedConsumers::poll_loop(int index) {
    ++active_pollers_;
    Poller poller{index, std::nullopt};
    while (!stop_.cancelled()) {
        std::vector<QueueMessage> batch = co_await collect_batch(index);
        // Stopped meanwhile: the batch stays in flight and comes back after its visibility
        // timeout, as when a mapping is disabled.
        if (stop_.cancelled() || batch.empty())
            continue;
        co_await invoke(poller, std::move(batch));
    }
    --active_pollers_;
}

// One long poll; with a batching window, more receives until the batch is full or the window
// (counted from the first message) ends.
Task<std::vector<QueueMessage>> SimulatedConsumers::collect_batch(int index) {
    std::vector<QueueMessage> batch =
        co_await receive_some(index, options_.batch_size, options_.long_poll_wait);
    if (batch.empty() || options_.batching_window <= Duration{0})
        co_return batch;
    const Instant window_end = rt_.now() + options_.batching_window;
    while (static_cast<int>(batch.size()) < options_.batch_size && rt_.now() < window_end &&
           !stop_.cancelled()) {
        const Duration wait = std::min(options_.long_poll_wait, window_end - rt_.now());
        const int wanted = options_.batch_size - static_cast<int>(batch.size());
        std::vector<QueueMessage> more = co_await receive_some(index, wanted, wait);
        for (auto& m : more)
            batch.push_back(std::move(m));
    }
    co_return batch;
}

Task<std::vector<QueueMessage>> SimulatedConsumers::receive_some(int index, int max_messages,
                                                                 Duration wait) {
    Result<std::vector<QueueMessage>> received = co_await queue_.receive(max_messages, wait);
    if (received.ok())
        co_return std::move(received).value();
    ++counters_.receive_errors;
    if (rt_.tracing()) {
        rt_.tracef("consumer", "receive_error", FMT_COMPILE("consumer={} code={}"), index,
                   received.error().code);
    }
    CancellationToken token = stop_.token();
    co_await sleep(rt_, options_.receive_error_backoff, token);
    co_return std::vector<QueueMessage>{};
}

// ---- invocation -----------------------------------------------------------------------------

Task<void> SimulatedConsumers::invoke(Poller& poller, std::vector<QueueMessage> batch) {
    Invocation invocation;
    invocation.consumer = poller.index;
    invocation.started = rt_.now();
    for (const auto& m : batch)
        invocation.message_ids.push_back(m.id);
    ++counters_.invocations;
    ++running_invocations_;
    counters_.max_concurrent_invocations =
        std::max(counters_.max_concurrent_invocations, running_invocations_);

    invocation.cold = !poller.last_invocation_end ||
                      rt_.now() - *poller.last_invocation_end >= options_.idle_before_cold;
    const Duration init = invocation.cold ? options_.cold_start.draw(random_) : Duration{0};
    if (rt_.tracing()) {
        rt_.tracef("consumer", "invoke", FMT_COMPILE("consumer={} size={} ids={} cold={} init={}"),
                   poller.index, batch.size(), join_ids(invocation.message_ids), invocation.cold,
                   format_duration(init));
    }
    if (invocation.cold) {
        ++counters_.cold_starts;
        co_await rt_.sleep(init);
    }

    const Instant deadline = rt_.now() + options_.function_timeout;
    std::optional<Duration> crash_after;
    if (random_.chance(options_.crash_rate))
        crash_after = random_.between(nanoseconds(1), crash_horizon());
    const Duration limit = crash_after ? *crash_after : options_.function_timeout;
    HandlerRun run = co_await run_handler(batch, deadline, limit);
    co_await settle(invocation, batch, run, crash_after.has_value());

    invocation.finished = rt_.now();
    poller.last_invocation_end = invocation.finished;
    --running_invocations_;
    if (rt_.tracing()) {
        rt_.tracef("consumer", "result", FMT_COMPILE("consumer={} outcome={} deleted={} kept={}"),
                   poller.index, to_string(invocation.outcome), invocation.deleted.size(),
                   batch.size() - invocation.deleted.size());
    }
    invocations_.push_back(std::move(invocation));
}

// Runs the handler for at most `limit`. An exception is caught here, a timeout leaves the task
// running on its own.
Task<SimulatedConsumers::HandlerRun> SimulatedConsumers::run_handler(
    std::vector<QueueMessage> batch, Instant deadline, Duration limit) {
    HandlerRun run;
    const Instant begin = rt_.now();
    try {
        Task<BatchResult> handler = counted_handler(std::move(batch), deadline);
        const bool returned = co_await race(rt_, handler, rt_.now() + limit);
        if (returned) {
            run.result = co_await std::move(handler);  // rethrows the handler's exception
            run.finished = true;
            longest_run_ = std::max(longest_run_, rt_.now() - begin);
        }
    } catch (const std::exception& e) {
        run.threw = true;
        run.error = e.what();
    } catch (...) {
        run.threw = true;
        run.error = "unknown exception";
    }
    co_return run;
}

Task<BatchResult> SimulatedConsumers::counted_handler(std::vector<QueueMessage> batch,
                                                      Instant deadline) {
    const auto messages = batch.size();
    BatchResult result = co_await handler_(std::move(batch), deadline);
    counters_.messages_handled += messages;
    co_return result;
}

// The crash point is drawn within the longest run seen, so crashes land mid-run rather than
// mostly after a short handler already finished.
Duration SimulatedConsumers::crash_horizon() const {
    if (longest_run_ <= Duration{0})
        return options_.function_timeout;
    return std::min(longest_run_, options_.function_timeout);
}

// Applies Lambda's reading of the invocation's end: a crash or timeout loses the response, an
// exception or an unknown item fails the batch, otherwise the partial batch response.
Task<void> SimulatedConsumers::settle(Invocation& invocation,
                                      const std::vector<QueueMessage>& batch, const HandlerRun& run,
                                      bool crashed) {
    if (crashed) {
        ++counters_.crashes;
        fail_whole(invocation, Outcome::crashed, "the runtime exited mid-invocation");
        co_return;
    }
    if (run.threw) {
        ++counters_.handler_errors;
        fail_whole(invocation, Outcome::handler_error, run.error);
        co_return;
    }
    if (!run.finished) {
        ++counters_.timeouts;
        fail_whole(
            invocation, Outcome::timed_out,
            fmt::format("Task timed out after {}", format_duration(options_.function_timeout)));
        co_return;
    }
    if (!options_.report_batch_item_failures) {
        const std::vector<std::string> none;  // the list is ignored: every message is deleted
        co_await delete_acknowledged(invocation, batch, none);
        ++counters_.batches_succeeded;
        invocation.outcome = Outcome::succeeded;
        co_return;
    }
    std::set<std::string> in_batch;
    for (const auto& m : batch)
        in_batch.insert(m.id);
    for (const auto& id : run.result.item_failures) {
        if (in_batch.count(id) == 0) {
            ++counters_.unknown_item_failures;
            fail_whole(invocation, Outcome::unknown_item, id);
            co_return;
        }
    }
    co_await delete_acknowledged(invocation, batch, run.result.item_failures);
    if (run.result.item_failures.empty()) {
        ++counters_.batches_succeeded;
        invocation.outcome = Outcome::succeeded;
    } else {
        ++counters_.batches_partial;
        invocation.outcome = Outcome::partial;
    }
}

Task<void> SimulatedConsumers::delete_acknowledged(Invocation& invocation,
                                                   const std::vector<QueueMessage>& batch,
                                                   const std::vector<std::string>& item_failures) {
    const std::set<std::string> kept(item_failures.begin(), item_failures.end());
    for (const auto& m : batch) {
        if (kept.count(m.id) != 0)
            continue;
        Status deleted = co_await queue_.delete_message(m.receipt_handle);
        if (deleted.ok()) {
            ++counters_.messages_deleted;
            invocation.deleted.push_back(m.id);
        } else {
            // The message comes back after its visibility timeout; the core absorbs the repeat.
            ++counters_.delete_failures;
            if (rt_.tracing()) {
                rt_.tracef("consumer", "delete_error", FMT_COMPILE("consumer={} id={} code={}"),
                           invocation.consumer, m.id, deleted.error().code);
            }
        }
    }
}

void SimulatedConsumers::fail_whole(Invocation& invocation, Outcome outcome, std::string error) {
    ++counters_.batches_failed_whole;
    invocation.outcome = outcome;
    invocation.error = std::move(error);
}

}  // namespace scaleup::sim
