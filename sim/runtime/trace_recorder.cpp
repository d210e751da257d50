#include "sim/runtime/trace_recorder.hpp"

#include <fmt/format.h>

namespace scaleup::sim {

std::string TraceRecorder::format_line(Instant at, std::string_view component,
                                       std::string_view event, std::string_view fields) {
    if (fields.empty())
        return fmt::format("{} {} {}", format_instant(at), component, event);
    return fmt::format("{} {} {} {}", format_instant(at), component, event, fields);
}

void TraceRecorder::record(Instant at, std::string_view component, std::string_view event,
                           std::string_view fields) {
    const bool capture = options_.capture_index && *options_.capture_index == events_;
    if (options_.sink == nullptr && !options_.keep_lines && !capture) {
        // Only the hash is wanted (every sweep seed): fold the line's pieces as they are, the same
        // bytes format_line would join, without building the line.
        if (at != time_text_at_ || time_text_.empty()) {
            time_text_ = format_instant(at);
            time_text_at_ = at;
        }
        hash_.add(time_text_);
        hash_.add(" ");
        hash_.add(component);
        hash_.add(" ");
        hash_.add(event);
        if (!fields.empty()) {
            hash_.add(" ");
            hash_.add(fields);
        }
        hash_.add("\n");
        if (options_.keep_event_hashes)
            event_hashes_.push_back(hash_.value());
        ++events_;
        return;
    }
    std::string line = format_line(at, component, event, fields);
    hash_.add(line);
    hash_.add("\n");
    if (options_.keep_event_hashes)
        event_hashes_.push_back(hash_.value());
    if (capture)
        captured_ = line;
    if (options_.sink != nullptr)
        *options_.sink << line << '\n';
    if (options_.keep_lines)
        lines_.push_back(std::move(line));
    ++events_;
}

std::string format_hash(std::uint64_t hash) {
    return fmt::format("0x{:016x}", hash);
}

}  // namespace scaleup::sim
