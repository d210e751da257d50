// count_plain_bytes (SSE2 here) and count_plain_bytes_by_words (its fallback elsewhere): the
// many-bytes-at-a-time scans stop exactly where a byte-at-a-time walk would, for each kind of
// stopping byte, at every place in a text longer than two blocks, and whatever bytes come after the
// stop.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "core/common/byte_scan.hpp"

using namespace scaleup;

namespace {
template <bool kQuotes, bool kNonAscii>
std::size_t walked(std::string_view text) {
    std::size_t at = 0;
    for (; at < text.size(); ++at) {
        const auto c = static_cast<unsigned char>(text[at]);
        if (c < 0x20 || (kQuotes && (c == '"' || c == '\\')) || (kNonAscii && c >= 0x80))
            break;
    }
    return at;
}

template <bool kQuotes, bool kNonAscii>
void check_every_place(char stop, char after) {
    for (std::size_t length = 0; length <= 40; ++length) {
        for (std::size_t place = 0; place <= length; ++place) {
            std::string text(length, 'a');
            if (place < length)
                text[place] = stop;
            for (std::size_t i = place + 1; i < length; ++i)
                text[i] = after;
            INFO("length " << length << ", stop byte "
                           << static_cast<int>(static_cast<unsigned char>(stop)) << " at "
                           << place);
            const std::size_t expected = walked<kQuotes, kNonAscii>(text);
            CHECK(count_plain_bytes<kQuotes, kNonAscii>(text) == expected);
            CHECK(count_plain_bytes_by_words<kQuotes, kNonAscii>(text) == expected);
        }
    }
}

template <bool kQuotes, bool kNonAscii>
void check_all_stops() {
    for (const char stop :
         {'"', '\\', '\0', '\x1f', '\t', ' ', '~', '\x7f', '\x80', '\xc3', '\xff'}) {
        for (const char after : {'a', '"', '\x01', '\xe2'})
            check_every_place<kQuotes, kNonAscii>(stop, after);
    }
}
}  // namespace

TEST_CASE("byte scan: reading a JSON string stops at quotes, controls and non-ASCII",
          "[byte_scan]") {
    check_all_stops<true, true>();
    CHECK(count_plain_bytes<true, true>("abc\"def") == 3);
    CHECK(count_plain_bytes<true, true>("0123456789abcdefghij\xc3\xa9") == 20);
}

TEST_CASE("byte scan: writing a JSON string passes non-ASCII bytes", "[byte_scan]") {
    check_all_stops<true, false>();
    CHECK(count_plain_bytes<true, false>("0123456789abcdef\xc3\xa9z\\") == 19);
}

TEST_CASE("byte scan: a queue message's text stops at controls and non-ASCII only", "[byte_scan]") {
    check_all_stops<false, true>();
    CHECK(count_plain_bytes<false, true>("{\"a\":\"b\\\\c\"}\n") == 12);
    CHECK(count_plain_bytes<false, true>("") == 0);
}
