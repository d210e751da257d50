#include "sim/runtime/trace_recorder.hpp"

#include <fmt/format.h>

namespace scaleup::sim {

void TraceRecorder::record(Instant at, std::string_view component, std::string_view event,
                           std::string_view fields) {
    begin_event(at, component, event).add_text(fields);
    end_event(fields);
}

TraceDigest& TraceRecorder::begin_event(Instant at, std::string_view component,
                                        std::string_view event) {
    at_ = at;
    component_ = component;
    event_ = event;
    digest_.add_word(static_cast<std::uint64_t>(at.time_since_epoch().count()));
    digest_.add_text(component);
    digest_.add_text(event);
    return digest_;
}

void TraceRecorder::end_event(std::string_view fields) {
    if (text_wanted())
        write_line(fields);
    if (options_.keep_event_hashes)
        event_hashes_.push_back(digest_.value());
    ++events_;
}

void TraceRecorder::write_line(std::string_view fields) {
    // Events often share an instant: its text is formatted once.
    if (at_ != time_text_at_ || time_text_.empty()) {
        assign_instant(time_text_, at_);
        time_text_at_ = at_;
    }
    line_.assign(time_text_);
    line_ += ' ';
    line_ += component_;
    line_ += ' ';
    line_ += event_;
    if (!fields.empty()) {
        line_ += ' ';
        line_ += fields;
    }
    line_ += '\n';
    const std::string_view text(line_.data(), line_.size() - 1);  // without the newline
    if (options_.capture_index && *options_.capture_index == events_)
        captured_ = std::string(text);
    if (options_.sink != nullptr)
        *options_.sink << line_;
    if (options_.keep_lines)
        lines_.emplace_back(text);
}

std::string format_hash(std::uint64_t hash) {
    return fmt::format("0x{:016x}", hash);
}

}  // namespace scaleup::sim
