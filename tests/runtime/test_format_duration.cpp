// format_duration is written by hand for speed; these hold it to the fmt format it replaced,
// "{sign}{seconds}.{nanoseconds:09}s", at the edges of its range.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include <fmt/format.h>

#include "core/runtime/time.hpp"

using namespace scaleup;

namespace {
std::string with_fmt(std::int64_t ns) {
    const char* sign = ns < 0 ? "-" : "";
    const std::uint64_t magnitude =
        ns < 0 ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
    return fmt::format("{}{}.{:09d}s", sign, magnitude / 1'000'000'000, magnitude % 1'000'000'000);
}
}  // namespace

TEST_CASE("format_duration writes seconds and nine decimals, as fmt did", "[time]") {
    CHECK(format_duration(Duration{0}) == "0.000000000s");
    CHECK(format_duration(Duration{-1}) == "-0.000000001s");
    CHECK(format_duration(seconds(30) + milliseconds(5)) == "30.005000000s");
    CHECK(format_instant(Instant{} + seconds(1767225600)) == "1767225600.000000000s");
    for (const std::int64_t ns :
         {std::int64_t{1}, std::int64_t{999'999'999}, std::int64_t{1'000'000'000},
          std::int64_t{-1'000'000'001}, std::int64_t{1'767'225'600'414'530'443},
          std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()}) {
        INFO(ns);
        CHECK(format_duration(Duration{ns}) == with_fmt(ns));
    }
}

TEST_CASE("format_duration writes every length of seconds and every fraction digit", "[time]") {
    // Two digits per division: an odd and an even count of digits, on both sides of the point.
    std::int64_t power = 1;
    for (int digits = 1; digits <= 18; ++digits, power *= 10) {
        for (const std::int64_t ns : {power, power - 1, power + power / 3, -power, -(power - 1)}) {
            INFO(ns);
            CHECK(format_duration(Duration{ns}) == with_fmt(ns));
        }
    }
}
