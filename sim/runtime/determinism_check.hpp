// DeterminismCheck: runs the same simulation twice and proves the two runs were identical.
//
// Both runs record per-event hashes. Equal final hashes and event counts pass. Otherwise the first
// index where the hashes differ is the first divergent event; both runs are repeated once more,
// capturing only that line, so the report shows the two versions of the event without keeping whole
// traces in memory. Non-determinism comes from uninitialised memory, the wall clock, unordered
// iteration or ordering by address (FoundationDB's list); this check is how CI notices.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sim/runtime/trace_recorder.hpp"

namespace scaleup::sim {

struct DeterminismReport {
    bool deterministic = true;
    std::uint64_t first_hash = 0;
    std::uint64_t second_hash = 0;
    std::uint64_t first_events = 0;
    std::uint64_t second_events = 0;
    /// Index of the first divergent event, and how each run recorded it ("<no event>" past the
    /// end).
    std::optional<std::uint64_t> divergent_index;
    std::string first_line;
    std::string second_line;

    std::string describe() const;
};

/// `run` must perform one complete simulation, recording into the recorder it is given.
DeterminismReport check_determinism(const std::function<void(TraceRecorder&)>& run);

}  // namespace scaleup::sim
