// Time in scaleup is an integer count of nanoseconds, never a float.
//
// `Instant` is a point on the runtime's clock, measured from the Unix epoch so that the core can
// put it in JWT claims and compare it with GitHub's `x-ratelimit-reset`. The clock type has no
// `now()`: only a `Runtime` knows the time, so nothing in core/ or sim/ can read the wall clock by
// accident.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace scaleup {

struct RuntimeClock {
    using rep = std::int64_t;
    using period = std::nano;
    using duration = std::chrono::duration<rep, period>;
    using time_point = std::chrono::time_point<RuntimeClock>;
    static constexpr bool is_steady = false;
};

using Duration = RuntimeClock::duration;
using Instant = RuntimeClock::time_point;

constexpr Duration nanoseconds(std::int64_t n) {
    return Duration{n};
}
constexpr Duration microseconds(std::int64_t n) {
    return Duration{n * 1'000};
}
constexpr Duration milliseconds(std::int64_t n) {
    return Duration{n * 1'000'000};
}
constexpr Duration seconds(std::int64_t n) {
    return Duration{n * 1'000'000'000};
}
constexpr Duration minutes(std::int64_t n) {
    return seconds(n * 60);
}
constexpr Duration hours(std::int64_t n) {
    return seconds(n * 3600);
}

constexpr Instant instant_from_unix_seconds(std::int64_t s) {
    return Instant{seconds(s)};
}
constexpr std::int64_t unix_seconds(Instant t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

/// "12.345678901s": exact, fixed width fraction, for traces and messages.
std::string format_duration(Duration d);
/// Seconds since the runtime's epoch, as `format_duration` does.
inline std::string format_instant(Instant t) {
    return format_duration(t.time_since_epoch());
}
/// The same texts written over `out`, which keeps its capacity: for a caller that formats an
/// instant per trace line (a new string each time was 4 % of a simulated hour's allocations).
void assign_duration(std::string& out, Duration d);
inline void assign_instant(std::string& out, Instant t) {
    assign_duration(out, t.time_since_epoch());
}

}  // namespace scaleup
