// SimulatedSqs: a standard queue with visibility timeouts, receipt handles, redrive, retention and
// duplicates. The fault model (what it can do wrong, and the knobs) is stated in simulated_sqs.hpp.
//
// Every call sleeps half its drawn latency, acts on the queue, and sleeps the other half: the
// service's state changes at one instant, and a caller that gave up may find the call took effect.
#include "sim/backends/simulated_sqs.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "core/common/byte_scan.hpp"

namespace scaleup::sim {

namespace {

constexpr Duration kMaxVisibility = hours(12);
constexpr Duration kMaxDelay = minutes(15);
constexpr Duration kMaxWait = seconds(20);
constexpr int kMaxBatch = 10;

std::int64_t whole_seconds(Duration d) {
    return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}

// #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF (the SQS message body rule).
bool allowed_code_point(std::uint32_t c) {
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

// Strict UTF-8 (no overlong forms, no surrogates) of allowed code points only.
bool valid_message_text(const std::string& text) {
    static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    std::size_t i = 0;
    while (i < text.size()) {
        // Printable ASCII, nearly all of a body, is allowed: skipped many bytes at a time.
        i += count_plain_bytes</*kStopAtQuotes=*/false, /*kStopAtNonAscii=*/true>(
            std::string_view(text).substr(i));
        if (i == text.size())
            break;
        const auto lead = static_cast<unsigned char>(text[i]);
        // The lead byte gives the length and the top bits of the code point.
        int length = 4;
        std::uint32_t c = lead & 0x07u;
        if (lead < 0x80) {
            length = 1;
            c = lead;
        } else if ((lead & 0xE0) == 0xC0) {
            length = 2;
            c = lead & 0x1Fu;
        } else if ((lead & 0xF0) == 0xE0) {
            length = 3;
            c = lead & 0x0Fu;
        } else if ((lead & 0xF8) != 0xF0) {
            return false;
        }
        if (i + static_cast<std::size_t>(length) > text.size())
            return false;
        for (int k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
            if ((next & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (next & 0x3Fu);
        }
        if (c < kMinimum[length] || !allowed_code_point(c))
            return false;
        i += static_cast<std::size_t>(length);
    }
    return true;
}

std::string join_ids(const std::vector<QueueMessage>& batch) {
    std::string out;
    for (const auto& m : batch) {
        if (!out.empty())
            out += ',';
        out += m.id;
    }
    return out.empty() ? "-" : out;
}

void check_options(const SimulatedSqs::Options& o) {
    if (o.visibility_timeout < Duration{0} || o.visibility_timeout > kMaxVisibility)
        throw std::invalid_argument("SimulatedSqs: visibility_timeout must be within 0-12 h");
    if (o.retention_period < seconds(60) || o.retention_period > hours(24 * 14))
        throw std::invalid_argument("SimulatedSqs: retention_period must be within 60 s-14 d");
    if (o.max_receive_count && (*o.max_receive_count < 1 || *o.max_receive_count > 1000))
        throw std::invalid_argument("SimulatedSqs: max_receive_count must be within 1-1000");
}

}  // namespace

SimulatedSqs::SimulatedSqs(Runtime& rt, Options options)
    : rt_(rt), options_(std::move(options)), random_(rt.random().fork()), long_polls_(rt) {
    check_options(options_);
}

// ---- admission and validation ---------------------------------------------------------------

std::optional<ServiceError> SimulatedSqs::admission_error(const char* operation) {
    if (any_active(options_.outages, rt_.now())) {
        ++counters_.unavailable;
        if (rt_.tracing())
            rt_.tracef("sqs", "error", FMT_COMPILE("op={} code=ServiceUnavailable"), operation);
        return make_error(ErrorKind::transient, "sqs", "ServiceUnavailable",
                          "The request has failed due to a temporary failure of the server.");
    }
    if (random_.chance(options_.throttling)) {
        ++counters_.throttled;
        // SQS answers with either code; the core must treat both as throttling.
        const bool generic = random_.chance(Ratio{1, 2});
        const char* code = generic ? "ThrottlingException" : "RequestThrottled";
        if (rt_.tracing())
            rt_.tracef("sqs", "error", FMT_COMPILE("op={} code={}"), operation, code);
        return make_error(ErrorKind::throttled, "sqs", code,
                          generic ? "Rate exceeded" : "Request is throttled.");
    }
    return std::nullopt;
}

ServiceError SimulatedSqs::reject(const char* operation, const char* code, std::string message) {
    ++counters_.rejected;
    if (rt_.tracing())
        rt_.tracef("sqs", "rejected", FMT_COMPILE("op={} code={}"), operation, code);
    return make_error(ErrorKind::invalid, "sqs", code, std::move(message));
}

std::optional<ServiceError> SimulatedSqs::validate_body(const char* operation,
                                                        const std::string& body) {
    if (body.empty()) {
        return reject(operation, "MissingParameter",
                      "The request must contain the parameter MessageBody.");
    }
    if (body.size() > options_.max_message_bytes) {
        return reject(
            operation, "InvalidParameterValue",
            fmt::format(FMT_COMPILE("One or more parameters are invalid. Reason: Message must be "
                                    "shorter than {} bytes."),
                        options_.max_message_bytes));
    }
    if (!valid_message_text(body)) {
        return reject(operation, "InvalidMessageContents",
                      "Invalid binary character in the message body. Characters outside "
                      "#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF "
                      "are not allowed.");
    }
    return std::nullopt;
}

// ---- receive --------------------------------------------------------------------------------

Task<Result<std::vector<QueueMessage>>> SimulatedSqs::receive(int max_messages, Duration wait) {
    const Duration latency = options_.latency.draw(random_);
    co_await rt_.sleep(latency / 2);
    std::optional<ServiceError> error = receive_error(max_messages, wait);
    std::vector<QueueMessage> batch;
    if (!error)
        batch = co_await poll(max_messages, wait);
    co_await rt_.sleep(latency - latency / 2);
    if (error)
        co_return std::move(*error);
    co_return batch;
}

std::optional<ServiceError> SimulatedSqs::receive_error(int max_messages, Duration wait) {
    if (auto error = admission_error("receive"))
        return error;
    if (max_messages < 1 || max_messages > kMaxBatch) {
        return reject(
            "receive", "InvalidParameterValue",
            fmt::format(
                FMT_COMPILE("Value {} for parameter MaxNumberOfMessages is invalid. Reason: "
                            "Must be between 1 and 10, if provided."),
                max_messages));
    }
    if (wait < Duration{0} || wait > kMaxWait) {
        return reject(
            "receive", "InvalidParameterValue",
            fmt::format(FMT_COMPILE("Value {} for parameter WaitTimeSeconds is invalid. Reason: "
                                    "Must be >= 0 and <= 20, if provided."),
                        whole_seconds(wait)));
    }
    expire_due();
    if (in_flight_count() >= options_.in_flight_limit) {
        ++counters_.throttled;
        if (rt_.tracing())
            rt_.trace("sqs", "error", "op=receive code=OverLimit");
        return make_error(ErrorKind::throttled, "sqs", "OverLimit",
                          "Too many messages in flight for this queue.");
    }
    return std::nullopt;
}

// A short poll (wait 0) samples some servers; a long poll asks all of them and returns as soon as
// one message is visible, or empty when the wait ends.
Task<std::vector<QueueMessage>> SimulatedSqs::poll(int max_messages, Duration wait) {
    std::vector<QueueMessage> batch;
    if (wait <= Duration{0}) {
        const bool sampled_empty = visible_count() < options_.short_poll_sample_threshold &&
                                   random_.chance(options_.short_poll_empty);
        if (!sampled_empty)
            batch = take_visible(max_messages);
    } else {
        const Instant until = rt_.now() + wait;
        expire_due();
        batch = take_visible(max_messages);
        if (batch.empty()) {
            {
                SqsLongPolls::Waiter waiter(long_polls_, max_messages, until);
                do {
                    co_await long_polls_.wait(waiter, next_visible_at());
                    expire_due();
                    batch = take_visible(max_messages);
                } while (batch.empty() && rt_.now() < until);
            }
            // Out of line: what it left visible goes to the polls behind it, and the first of them
            // takes over the watch on the next hidden message.
            notify_change();
        }
    }
    if (batch.empty())
        ++counters_.empty_receives;
    if (rt_.tracing()) {
        rt_.tracef("sqs", "receive", FMT_COMPILE("count={} ids={} wait={}"), batch.size(),
                   join_ids(batch), format_duration(wait));
    }
    co_return batch;
}

std::vector<QueueMessage> SimulatedSqs::take_visible(int max_messages) {
    std::vector<QueueMessage> batch;
    refresh_visibility();
    auto it = visible_.begin();  // oldest first
    while (it != visible_.end() && static_cast<int>(batch.size()) < max_messages) {
        const std::uint64_t seq = *it++;  // delivering or redriving moves it out of visible_
        const MessageRecord& record = records_[seq - 1];
        if (options_.max_receive_count && record.receives >= *options_.max_receive_count) {
            redrive(seq);
            continue;
        }
        batch.push_back(deliver(seq, queue_.at(seq)));
    }
    return batch;
}

QueueMessage SimulatedSqs::deliver(std::uint64_t seq, Stored& stored) {
    MessageRecord& record = records_[seq - 1];
    const Instant now = rt_.now();
    ++record.receives;
    ++counters_.received;
    if (!record.first_received_at)
        record.first_received_at = now;
    record.last_received_at = now;
    if (record.deleted_at)
        ++record.deliveries_after_delete;
    unindex_visibility(seq, stored);
    stored.receipt_handle = fmt::format(FMT_COMPILE("rh-{}-{}"), record.id, record.receives);
    stored.received_at = now;
    stored.visible_at = now + options_.visibility_timeout;
    index_visibility(seq, stored);
    return QueueMessage{record.id, stored.receipt_handle, record.body, record.receives,
                        record.sent_at};
}

// RedrivePolicy: a message received maxReceiveCount times moves to the DLQ on the next receive.
void SimulatedSqs::redrive(std::uint64_t seq) {
    MessageRecord& record = records_[seq - 1];
    const Instant now = rt_.now();
    record.dead_lettered = true;
    record.dead_letter_reason =
        fmt::format(FMT_COMPILE("maxReceiveCount {} exceeded"), *options_.max_receive_count);
    record.dead_lettered_at = now;
    record.in_queue = false;
    unindex_visibility(seq, queue_.at(seq));
    queue_.erase(seq);
    ++counters_.redriven;
    dead_letters_.push_back(
        DeadLetter{record.id, record.body, record.dead_letter_reason, true, record.receives, now});
    if (rt_.tracing())
        rt_.tracef("sqs", "redrive", FMT_COMPILE("id={} receives={}"), record.id, record.receives);
}

Instant SimulatedSqs::next_visible_at() const {
    refresh_visibility();
    return hidden_.empty() ? Instant::max() : hidden_.begin()->first;
}

void SimulatedSqs::index_visibility(std::uint64_t seq, const Stored& stored) {
    if (stored.visible_at <= rt_.now()) {
        visible_.insert(seq);
        return;
    }
    hidden_.emplace(stored.visible_at, seq);
    if (!stored.receipt_handle.empty())
        ++in_flight_;
}

// Call before changing a stored message's visibility or handle, or removing it.
void SimulatedSqs::unindex_visibility(std::uint64_t seq, const Stored& stored) {
    refresh_visibility();
    if (hidden_.erase({stored.visible_at, seq}) == 0) {
        visible_.erase(seq);
        return;
    }
    if (!stored.receipt_handle.empty())
        --in_flight_;
}

void SimulatedSqs::refresh_visibility() const {
    const Instant now = rt_.now();
    while (!hidden_.empty() && hidden_.begin()->first <= now) {
        const std::uint64_t seq = hidden_.begin()->second;
        if (!queue_.at(seq).receipt_handle.empty())
            --in_flight_;
        visible_.insert(seq);
        hidden_.erase(hidden_.begin());
    }
}

// Anything that may make a message visible, now or sooner than known, is news to the long polls.
void SimulatedSqs::notify_change() {
    long_polls_.wake(visible_count(), next_visible_at());
}

// ---- delete and change visibility -----------------------------------------------------------

Task<Status> SimulatedSqs::delete_message(std::string receipt_handle) {
    const Duration latency = options_.latency.draw(random_);
    co_await rt_.sleep(latency / 2);
    Status status = apply_delete(receipt_handle);
    co_await rt_.sleep(latency - latency / 2);
    co_return status;
}

// A handle is "rh-<message id>-<receive>", the message id "msg-<sequence>": it names the message
// and the receive that issued it, as a real handle encodes its message. Decoding it, where a table
// of every handle ever issued grew by one per receive, is the same answer: a text this queue
// issued, and no other, names a message and one of its receives.
std::optional<std::uint64_t> SimulatedSqs::issued_handle_seq(
    std::string_view receipt_handle) const {
    constexpr std::string_view kHandlePrefix = "rh-";  // then the message id
    constexpr std::string_view kIdPrefix = "msg-";     // then the sequence
    if (!receipt_handle.starts_with(kHandlePrefix))
        return std::nullopt;
    const std::string_view id = receipt_handle.substr(kHandlePrefix.size());
    if (!id.starts_with(kIdPrefix))
        return std::nullopt;
    const std::string_view digits = id.substr(kIdPrefix.size());
    std::uint64_t seq = 0;  // the id's whole text is checked below
    if (std::from_chars(digits.data(), digits.data() + digits.size(), seq).ec != std::errc{} ||
        seq == 0 || seq > records_.size()) {
        return std::nullopt;
    }
    const MessageRecord& record = records_[seq - 1];
    // The whole text must be what deliver() wrote: the id as written, one '-', the receive number
    // without leading zeros, and nothing after it.
    if (!id.starts_with(record.id) || id.size() <= record.id.size() + 1 ||
        id[record.id.size()] != '-' || id[record.id.size() + 1] == '0') {
        return std::nullopt;
    }
    const std::string_view receive_text = id.substr(record.id.size() + 1);
    int receive = 0;
    const auto [end, error] =
        std::from_chars(receive_text.data(), receive_text.data() + receive_text.size(), receive);
    if (error != std::errc{} || end != receive_text.data() + receive_text.size() || receive < 1 ||
        receive > record.receives) {
        return std::nullopt;
    }
    return seq;
}

SimulatedSqs::Stored* SimulatedSqs::latest_holder(std::uint64_t seq,
                                                  const std::string& receipt_handle) {
    const auto it = queue_.find(seq);
    if (it == queue_.end() || it->second.receipt_handle != receipt_handle)
        return nullptr;
    return &it->second;
}

Status SimulatedSqs::apply_delete(const std::string& receipt_handle) {
    if (auto error = admission_error("delete"))
        return std::move(*error);
    expire_due();
    const std::optional<std::uint64_t> handle_seq = issued_handle_seq(receipt_handle);
    if (!handle_seq) {
        return reject(
            "delete", "ReceiptHandleIsInvalid",
            fmt::format(
                FMT_COMPILE("The input receipt handle \"{}\" is not a valid receipt handle."),
                receipt_handle));
    }
    const std::uint64_t seq = *handle_seq;
    MessageRecord& record = records_[seq - 1];
    const Instant now = rt_.now();
    Stored* stored = latest_holder(seq, receipt_handle);
    acks_.push_back(Ack{record.id, receipt_handle, now, stored != nullptr});
    if (stored == nullptr) {
        // Real SQS "may not delete" with a stale handle; this model never does.
        ++counters_.stale_deletes;
        if (rt_.tracing())
            rt_.tracef("sqs", "stale_delete", FMT_COMPILE("id={} handle={}"), record.id,
                       receipt_handle);
        return ok_status();
    }
    if (!record.deleted_at)
        record.deleted_at = now;
    if (random_.chance(options_.duplicate_after_delete)) {
        // A replica missed the delete: the message comes back when its visibility would have
        // ended, and this handle is spent.
        ++counters_.duplicates_scheduled;
        unindex_visibility(seq, *stored);
        stored->receipt_handle.clear();
        index_visibility(seq, *stored);
        if (rt_.tracing()) {
            rt_.tracef("sqs", "delete_lost", FMT_COMPILE("id={} back_at={}"), record.id,
                       format_instant(std::max(now, stored->visible_at)));
        }
        notify_change();
        return ok_status();
    }
    ++counters_.deletes;
    record.in_queue = false;
    unindex_visibility(seq, *stored);
    queue_.erase(seq);
    if (rt_.tracing())
        rt_.tracef("sqs", "delete", FMT_COMPILE("id={} receives={}"), record.id, record.receives);
    return ok_status();
}

Task<Status> SimulatedSqs::change_visibility(std::string receipt_handle, Duration timeout) {
    const Duration latency = options_.latency.draw(random_);
    co_await rt_.sleep(latency / 2);
    Status status = apply_change_visibility(receipt_handle, timeout);
    co_await rt_.sleep(latency - latency / 2);
    co_return status;
}

Status SimulatedSqs::apply_change_visibility(const std::string& receipt_handle, Duration timeout) {
    if (auto error = admission_error("change_visibility"))
        return std::move(*error);
    expire_due();
    if (timeout < Duration{0} || timeout > kMaxVisibility) {
        return reject(
            "change_visibility", "InvalidParameterValue",
            fmt::format(FMT_COMPILE("Value {} for parameter VisibilityTimeout is invalid. Reason: "
                                    "Must be >= 0 and <= 43200."),
                        whole_seconds(timeout)));
    }
    const std::optional<std::uint64_t> handle_seq = issued_handle_seq(receipt_handle);
    if (!handle_seq) {
        return reject(
            "change_visibility", "ReceiptHandleIsInvalid",
            fmt::format(
                FMT_COMPILE("The input receipt handle \"{}\" is not a valid receipt handle."),
                receipt_handle));
    }
    const std::uint64_t seq = *handle_seq;
    Stored* stored = latest_holder(seq, receipt_handle);
    if (stored == nullptr) {
        return reject(
            "change_visibility", "InvalidParameterValue",
            fmt::format(FMT_COMPILE("Value {} for parameter ReceiptHandle is invalid. Reason: The "
                                    "receipt handle has expired."),
                        receipt_handle));
    }
    const Instant now = rt_.now();
    if (stored->visible_at <= now) {
        return reject("change_visibility", "MessageNotInflight",
                      "The message referred to is not in flight.");
    }
    if (now + timeout > stored->received_at + kMaxVisibility) {
        return reject(
            "change_visibility", "InvalidParameterValue",
            fmt::format(FMT_COMPILE("Value {} for parameter VisibilityTimeout is invalid. Reason: "
                                    "Total VisibilityTimeout for the message is beyond the limit "
                                    "[43200 seconds]"),
                        whole_seconds(timeout)));
    }
    unindex_visibility(seq, *stored);
    stored->visible_at = now + timeout;
    index_visibility(seq, *stored);
    ++counters_.visibility_changes;
    if (rt_.tracing()) {
        const MessageRecord& record = records_[seq - 1];
        rt_.tracef("sqs", "change_visibility", FMT_COMPILE("id={} timeout={}"), record.id,
                   format_duration(timeout));
    }
    notify_change();
    return ok_status();
}

// ---- send -----------------------------------------------------------------------------------

Task<Status> SimulatedSqs::send(std::string body, Duration delay) {
    const Duration latency = options_.latency.draw(random_);
    co_await rt_.sleep(latency / 2);
    Status status = apply_send(std::move(body), delay);
    co_await rt_.sleep(latency - latency / 2);
    co_return status;
}

Status SimulatedSqs::apply_send(std::string body, Duration delay) {
    if (auto error = admission_error("send"))
        return std::move(*error);
    if (delay < Duration{0} || delay > kMaxDelay) {
        return reject(
            "send", "InvalidParameterValue",
            fmt::format(FMT_COMPILE("Value {} for parameter DelaySeconds is invalid. Reason: "
                                    "DelaySeconds must be >= 0 and <= 900."),
                        whole_seconds(delay)));
    }
    if (auto error = validate_body("send", body))
        return std::move(*error);
    const Instant now = rt_.now();
    const std::uint64_t seq = records_.size() + 1;
    MessageRecord record;
    record.id = fmt::format(FMT_COMPILE("msg-{:06d}"), seq);
    record.body = std::move(body);
    record.sent_at = now;
    record.delay = delay;
    if (rt_.tracing()) {
        rt_.tracef("sqs", "send", FMT_COMPILE("id={} bytes={} delay={}"), record.id,
                   record.body.size(), format_duration(delay));
    }
    records_.push_back(std::move(record));
    const auto stored = queue_.emplace(seq, Stored{now + delay, {}, {}}).first;
    index_visibility(seq, stored->second);
    ++counters_.sent;
    notify_change();
    ensure_reaper();
    return ok_status();
}

Task<Status> SimulatedSqs::send_to_dead_letter(std::string body, std::string reason) {
    const Duration latency = options_.latency.draw(random_);
    co_await rt_.sleep(latency / 2);
    Status status = apply_send_to_dead_letter(std::move(body), std::move(reason));
    co_await rt_.sleep(latency - latency / 2);
    co_return status;
}

Status SimulatedSqs::apply_send_to_dead_letter(std::string body, std::string reason) {
    if (auto error = admission_error("send_to_dead_letter"))
        return std::move(*error);
    if (auto error = validate_body("send_to_dead_letter", body))
        return std::move(*error);
    DeadLetter letter{fmt::format(FMT_COMPILE("dlq-{:06d}"), ++dlq_sequence_),
                      std::move(body),
                      std::move(reason),
                      false,
                      0,
                      rt_.now()};
    ++counters_.dead_letters_sent;
    if (rt_.tracing()) {
        rt_.tracef("sqs", "dead_letter", FMT_COMPILE("id={} bytes={} reason=\"{}\""), letter.id,
                   letter.body.size(), letter.reason);
    }
    dead_letters_.push_back(std::move(letter));
    return ok_status();
}

// ---- retention ------------------------------------------------------------------------------

// Deletes, silently, every message whose retention period has ended (in flight or not). Messages
// are kept in send order, so the due ones are at the front.
void SimulatedSqs::expire_due() {
    const Instant now = rt_.now();
    while (!queue_.empty()) {
        const auto oldest = queue_.begin();
        MessageRecord& record = records_[oldest->first - 1];
        if (record.sent_at + options_.retention_period > now)
            return;
        record.expired_at = now;
        record.in_queue = false;
        expired_ids_.push_back(record.id);
        ++counters_.expired;
        unindex_visibility(oldest->first, oldest->second);
        queue_.erase(oldest);
        if (rt_.tracing())
            rt_.tracef("sqs", "expire", FMT_COMPILE("id={} receives={}"), record.id,
                       record.receives);
    }
}

// One task sleeps until the oldest message's retention ends, so expiry happens on time even when
// nobody calls the queue; it ends when the queue is empty (a run can still drain to quiet).
void SimulatedSqs::ensure_reaper() {
    if (reaper_running_)
        return;
    reaper_running_ = true;
    rt_.spawn(reap());
}

Task<void> SimulatedSqs::reap() {
    while (!queue_.empty()) {
        const Instant due = records_[queue_.begin()->first - 1].sent_at + options_.retention_period;
        co_await rt_.sleep_until(due);
        expire_due();
    }
    reaper_running_ = false;
}

// ---- observability --------------------------------------------------------------------------

const SimulatedSqs::MessageRecord* SimulatedSqs::record(const std::string& message_id) const {
    constexpr std::string_view prefix = "msg-";
    if (message_id.compare(0, prefix.size(), prefix) != 0)
        return nullptr;
    std::uint64_t seq = 0;
    const char* first = message_id.data() + prefix.size();
    const char* last = message_id.data() + message_id.size();
    const auto [end, error] = std::from_chars(first, last, seq);
    if (error != std::errc{} || end != last || seq == 0 || seq > records_.size())
        return nullptr;
    return &records_[seq - 1];
}

std::size_t SimulatedSqs::visible_count() const {
    refresh_visibility();
    return visible_.size();
}

std::size_t SimulatedSqs::in_flight_count() const {
    refresh_visibility();
    return in_flight_;
}

}  // namespace scaleup::sim
