// count_plain_bytes: how many leading bytes of a text need no closer look, found many bytes at a
// time. Reading and writing JSON strings walk every byte of a webhook's body (about 1.7 KB, three
// bodies a job), and the simulated queue checks every character of every message; a byte at a
// time was the costliest loop of each.
//
// A byte below ' ' always stops the scan; so do '"' and '\\' when `kStopAtQuotes`, and a byte
// with its top bit set (anything not ASCII) when `kStopAtNonAscii`. The caller looks at the
// stopping byte itself. With SSE2 (every x86-64) sixteen bytes are tested at once and the first
// stop comes out of the mask; elsewhere eight at a time (`count_plain_bytes_by_words`, the SWAR
// tests of "Bit Twiddling Hacks").
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace scaleup {

namespace detail {
template <bool kStopAtQuotes, bool kStopAtNonAscii>
std::size_t plain_bytes_one_by_one(std::string_view text, std::size_t at) {
    for (; at < text.size(); ++at) {
        const auto c = static_cast<unsigned char>(text[at]);
        if (c < 0x20 || (kStopAtQuotes && (c == '"' || c == '\\')) ||
            (kStopAtNonAscii && c >= 0x80)) {
            break;
        }
    }
    return at;
}
}  // namespace detail

/// The scan without SIMD: eight bytes at a time, then the flagged word byte by byte. What
/// `count_plain_bytes` runs where there is no SSE2; always built, so the tests check it too.
template <bool kStopAtQuotes, bool kStopAtNonAscii>
std::size_t count_plain_bytes_by_words(std::string_view text) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
    const auto has_zero_byte = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
    std::size_t at = 0;
    for (; at + 8 <= text.size(); at += 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, text.data() + at, sizeof(word));
        // Flags every byte below 0x20, and may flag others next to a high byte: a flagged word is
        // walked byte by byte, so a false flag costs time, never a wrong answer.
        std::uint64_t flagged = (word - kOnes * 0x20) & ~word & kHighs;
        if (kStopAtQuotes)
            flagged |= has_zero_byte(word ^ (kOnes * '"')) | has_zero_byte(word ^ (kOnes * '\\'));
        if (kStopAtNonAscii)
            flagged |= word & kHighs;
        if (flagged != 0)
            break;
    }
    return detail::plain_bytes_one_by_one<kStopAtQuotes, kStopAtNonAscii>(text, at);
}

template <bool kStopAtQuotes, bool kStopAtNonAscii>
std::size_t count_plain_bytes(std::string_view text) {
#if defined(__SSE2__)
    std::size_t at = 0;
    for (; at + 16 <= text.size(); at += 16) {
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + at));
        // As signed bytes, a byte with its top bit set is below ' ' too; as unsigned ones it is
        // not, and min(b, 0x1f) == b holds exactly for b <= 0x1f.
        __m128i stop = kStopAtNonAscii
                           ? _mm_cmpgt_epi8(_mm_set1_epi8(' '), bytes)
                           : _mm_cmpeq_epi8(_mm_min_epu8(bytes, _mm_set1_epi8(0x1f)), bytes);
        if constexpr (kStopAtQuotes) {
            stop = _mm_or_si128(stop, _mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')));
            stop = _mm_or_si128(stop, _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\')));
        }
        const auto mask = static_cast<unsigned>(_mm_movemask_epi8(stop));
        if (mask != 0)
            return at + static_cast<std::size_t>(std::countr_zero(mask));
    }
    return detail::plain_bytes_one_by_one<kStopAtQuotes, kStopAtNonAscii>(text, at);
#else
    return count_plain_bytes_by_words<kStopAtQuotes, kStopAtNonAscii>(text);
#endif
}

}  // namespace scaleup
