// TraceRecorder: the canonical record of a simulation run.
//
// Every event becomes one text line, "<sim time> <component> <event> <fields>", folded into a
// running 64-bit hash (TraceHash). Two runs of the same seed and build produce the same lines, so
// the same hash; a changed hash means the run changed. The recorder can keep every line (for
// --trace files and tests), keep only the per-event hashes (to locate the first divergence
// cheaply), or keep nothing but the running hash (the fast default for sweeps).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/runtime/time.hpp"
#include "sim/runtime/trace_hash.hpp"

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

    void record(Instant at, std::string_view component, std::string_view event,
                std::string_view fields);

    std::uint64_t hash() const noexcept { return hash_.value(); }
    std::uint64_t events() const noexcept { return events_; }
    const std::vector<std::string>& lines() const noexcept { return lines_; }
    const std::vector<std::uint64_t>& event_hashes() const noexcept { return event_hashes_; }
    const std::optional<std::string>& captured_line() const noexcept { return captured_; }

  private:
    Options options_;
    TraceHash hash_;
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
