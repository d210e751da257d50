// TraceRecorder: the canonical record of a simulation run.
//
// Every event is folded into the run's digest by value (core/runtime/trace_digest.hpp): its
// instant, component, name and fields. Two runs of the same seed and build fold the same values,
// so end with the same hash; a changed hash means the run changed. Each event can also become one
// text line, "<sim time> <component> <event> <fields>": the recorder can keep every line (for
// --trace files and tests), keep only the per-event hashes (to locate the first divergence
// cheaply), or keep nothing but the running hash (the fast default for sweeps, which formats no
// line at all). What it keeps does not change the hash.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/runtime/time.hpp"
#include "core/runtime/trace_digest.hpp"

namespace scaleup::sim {

class TraceRecorder {
  public:
    struct Options {
        bool keep_lines = false;         // every line in memory
        bool keep_event_hashes = false;  // the running hash after each event
        std::ostream* sink = nullptr;    // every line written here as it happens
        /// Keep only the line with this index (0-based): used to show one divergent event.
        std::optional<std::uint64_t> capture_index;
    };

    TraceRecorder() = default;
    explicit TraceRecorder(Options options) : options_(options) {}

    /// An event with its fields as text, in one call.
    void record(Instant at, std::string_view component, std::string_view event,
                std::string_view fields);
    /// An event in two steps: begin_event folds the instant, component and event and returns the
    /// digest that takes the fields; end_event ends it, with the fields' text if text_wanted()
    /// said so before it. `component` and `event` must stay valid until end_event.
    TraceDigest& begin_event(Instant at, std::string_view component, std::string_view event);
    /// Whether the event begun now needs its line: lines are kept or written, or it is the one to
    /// capture.
    bool text_wanted() const noexcept {
        return options_.keep_lines || options_.sink != nullptr ||
               (options_.capture_index && *options_.capture_index == events_);
    }
    void end_event(std::string_view fields);

    std::uint64_t hash() const noexcept { return digest_.value(); }
    std::uint64_t events() const noexcept { return events_; }
    const std::vector<std::string>& lines() const noexcept { return lines_; }
    const std::vector<std::uint64_t>& event_hashes() const noexcept { return event_hashes_; }
    const std::optional<std::string>& captured_line() const noexcept { return captured_; }

  private:
    void write_line(std::string_view fields);

    Options options_;
    TraceDigest digest_;
    Instant at_{};  // the event begun and not yet ended
    std::string_view component_;
    std::string_view event_;
    std::uint64_t events_ = 0;
    std::vector<std::string> lines_;
    std::vector<std::uint64_t> event_hashes_;
    std::optional<std::string> captured_;
    Instant time_text_at_{};  // the instant `time_text_` shows: events often share one
    std::string time_text_;
    std::string line_;  // the line being recorded, with its newline
};

/// "0x" followed by 16 lowercase hex digits.
std::string format_hash(std::uint64_t hash);

}  // namespace scaleup::sim
