#include "sim/runtime/determinism_check.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace scaleup::sim {

namespace {
std::string capture(const std::function<void(TraceRecorder&)>& run, std::uint64_t index) {
    TraceRecorder::Options options;
    options.capture_index = index;
    TraceRecorder recorder(options);
    run(recorder);
    return recorder.captured_line().value_or("<no event>");
}
}  // namespace

DeterminismReport check_determinism(const std::function<void(TraceRecorder&)>& run) {
    TraceRecorder::Options options;
    options.keep_event_hashes = true;
    TraceRecorder first(options);
    TraceRecorder second(options);
    run(first);
    run(second);

    DeterminismReport report;
    report.first_hash = first.hash();
    report.second_hash = second.hash();
    report.first_events = first.events();
    report.second_events = second.events();
    report.deterministic = first.hash() == second.hash() && first.events() == second.events();
    if (report.deterministic)
        return report;

    const auto& a = first.event_hashes();
    const auto& b = second.event_hashes();
    const auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
    const auto index = static_cast<std::uint64_t>(ia - a.begin());
    (void)ib;
    report.divergent_index = index;
    report.first_line = capture(run, index);
    report.second_line = capture(run, index);
    return report;
}

std::string DeterminismReport::describe() const {
    if (deterministic) {
        return fmt::format("deterministic: {} events, trace hash {}", first_events,
                           format_hash(first_hash));
    }
    return fmt::format(
        "NOT deterministic: run 1 {} events hash {}, run 2 {} events hash {}; first divergent "
        "event #{}:\n  run 1: {}\n  run 2: {}",
        first_events, format_hash(first_hash), second_events, format_hash(second_hash),
        divergent_index.value_or(0), first_line, second_line);
}

}  // namespace scaleup::sim
