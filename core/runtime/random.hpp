// The one source of randomness a simulation may use.
//
// xoshiro256** (Blackman and Vigna), seeded through splitmix64, with the project's own
// distributions. The standard library's engines are portable but its distributions are not
// (libstdc++ and libc++ draw different numbers), so `std::uniform_int_distribution` and friends are
// banned in core/ and sim/. Every distribution here uses integer arithmetic only: the same seed
// draws the same numbers on every compiler and machine.
#pragma once

#include <array>
#include <cstdint>

#include "core/runtime/time.hpp"

namespace scaleup {

/// A probability as an exact fraction: `Ratio{1, 100}` is one percent. No floats in decisions.
struct Ratio {
    std::uint64_t numerator = 0;
    std::uint64_t denominator = 1;

    static constexpr Ratio never() { return {0, 1}; }
    static constexpr Ratio always() { return {1, 1}; }
    static constexpr Ratio percent(std::uint64_t p) { return {p, 100}; }
    static constexpr Ratio per_mille(std::uint64_t p) { return {p, 1000}; }
    constexpr bool is_zero() const { return numerator == 0; }
    friend constexpr bool operator==(Ratio, Ratio) = default;
};

/// splitmix64: expands one 64-bit seed into a well-mixed stream; used to seed xoshiro.
class SplitMix64 {
  public:
    explicit constexpr SplitMix64(std::uint64_t state) : state_(state) {}
    constexpr std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

  private:
    std::uint64_t state_;
};

class Random {
  public:
    /// Seeds the four state words from splitmix64(seed), as the xoshiro authors recommend.
    explicit Random(std::uint64_t seed);
    /// Uses the state as given (for the reference test vectors). Must not be all zero.
    static Random from_state(std::array<std::uint64_t, 4> state);

    std::uint64_t next_u64();

    /// Uniform in [0, bound). Lemire's multiply-and-reject: unbiased, no division on the fast path.
    /// Precondition: bound > 0.
    std::uint64_t below(std::uint64_t bound);
    /// Uniform in [low, high], both inclusive. Precondition: low <= high.
    std::int64_t between(std::int64_t low, std::int64_t high);
    /// Uniform duration in [low, high].
    Duration between(Duration low, Duration high);
    /// True with probability `p`. Precondition: p.numerator <= p.denominator, denominator > 0.
    bool chance(Ratio p);
    /// Exponentially distributed duration with the given mean, from an integer inverse CDF
    /// (fixed-point -ln(u)); capped at 32 means so one draw cannot stall a run.
    Duration exponential(Duration mean);
    /// An independent stream: what one component draws does not shift another's draws.
    Random fork();

  private:
    std::array<std::uint64_t, 4> s_{};
};

}  // namespace scaleup
