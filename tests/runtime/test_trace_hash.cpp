// TraceHash depends on the byte stream only, never on how it was cut into pieces, and tells
// different streams apart (including ones that differ only in trailing zero bytes).
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "sim/runtime/trace_hash.hpp"

using scaleup::sim::TraceHash;

namespace {
std::uint64_t hash_of(std::string_view text) {
    TraceHash h;
    h.add(text);
    return h.value();
}
}  // namespace

TEST_CASE("TraceHash gives one value however the bytes are cut", "[trace-hash]") {
    const std::string text =
        "1767227295.414530443s ec2 launch instance=i-0000000000000013c type=m5.large\n";
    const std::uint64_t whole = hash_of(text);
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        for (std::size_t second = cut; second <= text.size(); second += 5) {
            TraceHash pieces;
            pieces.add(std::string_view(text).substr(0, cut));
            pieces.add(std::string_view(text).substr(cut, second - cut));
            pieces.add(std::string_view(text).substr(second));
            REQUIRE(pieces.value() == whole);
        }
    }
    TraceHash bytewise;
    for (const char c : text)
        bytewise.add(std::string_view(&c, 1));
    CHECK(bytewise.value() == whole);
}

TEST_CASE("TraceHash tells different streams apart", "[trace-hash]") {
    CHECK(hash_of("") != hash_of(std::string(1, '\0')));
    CHECK(hash_of("a") != hash_of(std::string("a\0", 2)));
    CHECK(hash_of("12345678") != hash_of(std::string("12345678\0", 9)));
    std::set<std::uint64_t> seen;
    for (int i = 0; i < 10000; ++i)
        seen.insert(hash_of("1767225600.000000000s sqs send id=msg-" + std::to_string(i) + "\n"));
    CHECK(seen.size() == 10000);
}

TEST_CASE("TraceHash is pinned: the trace format includes it", "[trace-hash]") {
    // A change here changes every trace hash every tool has printed; make it on purpose.
    CHECK(hash_of("") == 0xff5d77d7d9a3e357ULL);
    CHECK(hash_of("1767225600.000000000s world option seed=1\n") == 0xe5a8fc624e0ca26eULL);
}
