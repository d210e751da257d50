#include "core/runtime/random.hpp"

#include <stdexcept>

namespace scaleup {

namespace {

// 64x64->128 multiply, for Lemire's bounded draw and fixed-point scaling (GCC and Clang both have
// it).
__extension__ using u128 = unsigned __int128;

constexpr std::uint64_t rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

// -ln(x / 2^32) in 32.32 fixed point, for x in [1, 2^32]. Integer only: log2 by the position of the
// top bit plus 32 fraction bits by repeated squaring, then times ln(2).
std::uint64_t neg_ln_fixed(std::uint64_t x) {
    // log2(x) in 32.32 fixed point.
    int top = 63 - __builtin_clzll(x);
    std::uint64_t log2_fixed = static_cast<std::uint64_t>(top) << 32;
    // Normalise the mantissa to [1, 2) in 1.62 fixed point... use 2.30 to keep squares in 64 bits.
    std::uint64_t m = top >= 30 ? x >> (top - 30) : x << (30 - top);  // m in [2^30, 2^31)
    for (int bit = 31; bit >= 0; --bit) {
        m = (m * m) >> 30;  // square; now in [2^30, 2^32)
        if (m >= (std::uint64_t{1} << 31)) {
            m >>= 1;
            log2_fixed |= std::uint64_t{1} << bit;
        }
    }
    // -ln(x/2^32) = (32 - log2(x)) * ln 2
    std::uint64_t neg_log2 = (std::uint64_t{32} << 32) - log2_fixed;  // 32.32
    constexpr std::uint64_t ln2_q32 = 2977044472ULL;                  // ln(2) * 2^32
    // (32.32 * 0.32) >> 32, split to avoid overflow.
    return ((neg_log2 >> 32) * ln2_q32) + (((neg_log2 & 0xffffffffULL) * ln2_q32) >> 32);
}

}  // namespace

Random::Random(std::uint64_t seed) {
    SplitMix64 mix(seed);
    for (auto& word : s_)
        word = mix.next();
}

Random Random::from_state(std::array<std::uint64_t, 4> state) {
    if (state[0] == 0 && state[1] == 0 && state[2] == 0 && state[3] == 0) {
        throw std::invalid_argument("xoshiro256** state must not be all zero");
    }
    Random r(0);
    r.s_ = state;
    return r;
}

std::uint64_t Random::next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

std::uint64_t Random::below(std::uint64_t bound) {
    if (bound == 0)
        throw std::invalid_argument("Random::below: bound must be positive");
    u128 product = static_cast<u128>(next_u64()) * bound;
    auto low = static_cast<std::uint64_t>(product);
    if (low < bound) {
        const std::uint64_t threshold = (0 - bound) % bound;
        while (low < threshold) {
            product = static_cast<u128>(next_u64()) * bound;
            low = static_cast<std::uint64_t>(product);
        }
    }
    return static_cast<std::uint64_t>(product >> 64);
}

std::int64_t Random::between(std::int64_t low, std::int64_t high) {
    if (low > high)
        throw std::invalid_argument("Random::between: low > high");
    const auto span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
    if (span == UINT64_MAX)
        return static_cast<std::int64_t>(next_u64());
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + below(span + 1));
}

Duration Random::between(Duration low, Duration high) {
    return Duration{between(low.count(), high.count())};
}

bool Random::chance(Ratio p) {
    if (p.denominator == 0 || p.numerator > p.denominator) {
        throw std::invalid_argument("Random::chance: ratio must be within [0, 1]");
    }
    if (p.numerator == 0)
        return false;
    return below(p.denominator) < p.numerator;
}

Duration Random::exponential(Duration mean) {
    if (mean.count() <= 0)
        return Duration{0};
    const std::uint64_t u = (next_u64() >> 32) + 1;  // [1, 2^32]
    std::uint64_t factor_q32 = neg_ln_fixed(u);      // -ln(u / 2^32), at most ~22.2
    constexpr std::uint64_t cap = std::uint64_t{32} << 32;
    if (factor_q32 > cap)
        factor_q32 = cap;
    const auto scaled = static_cast<u128>(mean.count()) * factor_q32;
    return Duration{static_cast<std::int64_t>(scaled >> 32)};
}

Random Random::fork() {
    return Random(next_u64());
}

}  // namespace scaleup
