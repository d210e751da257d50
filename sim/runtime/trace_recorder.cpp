#include "sim/runtime/trace_recorder.hpp"

#include <fmt/format.h>

namespace scaleup::sim {

void TraceRecorder::record(Instant at, std::string_view component, std::string_view event,
                           std::string_view fields) {
    // Events often share an instant: its text is formatted once.
    if (at != time_text_at_ || time_text_.empty()) {
        assign_instant(time_text_, at);
        time_text_at_ = at;
    }
    // The line is joined in a buffer kept from event to event and hashed in one piece: the hash
    // takes whole words, and the seven small pieces of a line cost it more than the copy does.
    line_.assign(time_text_);
    line_ += ' ';
    line_ += component;
    line_ += ' ';
    line_ += event;
    if (!fields.empty()) {
        line_ += ' ';
        line_ += fields;
    }
    line_ += '\n';
    hash_.add(line_);
    if (options_.keep_event_hashes)
        event_hashes_.push_back(hash_.value());
    const std::string_view text(line_.data(), line_.size() - 1);  // without the newline
    if (options_.capture_index && *options_.capture_index == events_)
        captured_ = std::string(text);
    if (options_.sink != nullptr)
        *options_.sink << line_;
    if (options_.keep_lines)
        lines_.emplace_back(text);
    ++events_;
}

std::string format_hash(std::uint64_t hash) {
    return fmt::format("0x{:016x}", hash);
}

}  // namespace scaleup::sim
