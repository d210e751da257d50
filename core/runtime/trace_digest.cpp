#include "core/runtime/trace_digest.hpp"

#include <bit>
#include <cstring>

namespace scaleup {

namespace {
std::uint64_t little_endian_word(const char* bytes, std::size_t count) noexcept {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes, count);
    if constexpr (std::endian::native == std::endian::big)
        word = __builtin_bswap64(word);
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
        add_word(little_endian_word(at, 8));
    if (left > 0)
        add_word(little_endian_word(at, left));
}

std::uint64_t TraceDigest::value() const noexcept {
    return avalanche(state_);
}

}  // namespace scaleup
