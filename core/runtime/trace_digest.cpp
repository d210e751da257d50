#include "core/runtime/trace_digest.hpp"

#include <bit>
#include <cstring>

namespace scaleup {

namespace {
// Loads of a fixed size: a memcpy of a variable size is a call, and most texts end in a part word.
std::uint64_t little_endian_word(const char* bytes) noexcept {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes, sizeof(word));
    if constexpr (std::endian::native == std::endian::big)
        word = __builtin_bswap64(word);
    return word;
}

/// The last 1 to 7 bytes as a word, zero-padded: first byte lowest.
std::uint64_t little_endian_tail(const char* bytes, std::size_t count) noexcept {
    std::uint64_t word = 0;
    unsigned shift = 0;
    if (count & 4) {
        std::uint32_t four = 0;
        std::memcpy(&four, bytes, sizeof(four));
        if constexpr (std::endian::native == std::endian::big)
            four = __builtin_bswap32(four);
        word = four;
        bytes += 4;
        shift = 32;
    }
    if (count & 2) {
        const auto low = static_cast<unsigned char>(bytes[0]);
        const auto high = static_cast<unsigned char>(bytes[1]);
        word |= (std::uint64_t{low} | std::uint64_t{high} << 8) << shift;
        bytes += 2;
        shift += 16;
    }
    if (count & 1)
        word |= std::uint64_t{static_cast<unsigned char>(bytes[0])} << shift;
    return word;
}

// MurmurHash3's 64-bit finaliser: every input bit reaches every output bit.
std::uint64_t avalanche(std::uint64_t h) noexcept {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}
}  // namespace

void TraceDigest::add_text(std::string_view text) noexcept {
    add_word(text.size());
    const char* at = text.data();
    std::size_t left = text.size();
    for (; left >= 8; at += 8, left -= 8)
        add_word(little_endian_word(at));
    if (left > 0)
        add_word(little_endian_tail(at, left));
}

std::uint64_t TraceDigest::value() const noexcept {
    return avalanche(state_);
}

}  // namespace scaleup
