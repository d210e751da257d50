// TraceHash: the running 64-bit hash of a trace's bytes.
//
// Bytes are taken eight at a time as little-endian words, each folded in with a multiply and a
// shift (about a cycle per byte). The partial word left at the end of one piece waits for the
// next, so the value depends only on the byte stream, never on how it was cut. `value()`
// folds in the partial word and the length, then avalanches (MurmurHash3's fmix64).
//
// It replaced FNV-1a, which takes one byte per multiply and was, after SHA-256, the costliest
// function of an exploration seed. Not cryptographic: it tells two runs apart, it does not resist
// an adversary.
#pragma once

#include <cstdint>
#include <string_view>

namespace scaleup::sim {

class TraceHash {
  public:
    void add(std::string_view bytes) noexcept;
    std::uint64_t value() const noexcept;

  private:
    void fold_word(std::uint64_t word) noexcept;

    std::uint64_t state_ = 0x9e3779b97f4a7c15ULL;
    std::uint64_t pending_ = 0;  // the bytes of a partial word, first byte lowest
    unsigned pending_bytes_ = 0;
    std::uint64_t length_ = 0;
};

}  // namespace scaleup::sim
