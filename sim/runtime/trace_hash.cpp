#include "sim/runtime/trace_hash.hpp"

#include <bit>
#include <cstring>

namespace scaleup::sim {

namespace {
std::uint64_t little_endian_word(const char* bytes) noexcept {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes, sizeof(word));
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

void TraceHash::fold_word(std::uint64_t word) noexcept {
    state_ = (state_ ^ word) * 0xbf58476d1ce4e5b9ULL;
    state_ ^= state_ >> 31;
}

void TraceHash::add(std::string_view bytes) noexcept {
    length_ += bytes.size();
    const char* at = bytes.data();
    std::size_t left = bytes.size();
    // Complete the partial word the previous piece left.
    while (pending_bytes_ != 0 && left > 0) {
        pending_ |= std::uint64_t{static_cast<unsigned char>(*at)} << (8 * pending_bytes_);
        ++at;
        --left;
        if (++pending_bytes_ == 8) {
            fold_word(pending_);
            pending_ = 0;
            pending_bytes_ = 0;
        }
    }
    for (; left >= 8; at += 8, left -= 8)
        fold_word(little_endian_word(at));
    for (; left > 0; ++at, --left) {
        pending_ |= std::uint64_t{static_cast<unsigned char>(*at)} << (8 * pending_bytes_);
        ++pending_bytes_;
    }
}

std::uint64_t TraceHash::value() const noexcept {
    // The length tells "a" from "a\0": the partial word alone does not.
    const std::uint64_t last = (state_ ^ pending_) * 0xbf58476d1ce4e5b9ULL;
    return avalanche(last ^ length_);
}

}  // namespace scaleup::sim
