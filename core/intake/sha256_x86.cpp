#include "core/intake/sha256_x86.hpp"

#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define SCALEUP_SHA256_X86 1
#endif

namespace scaleup::detail {

#ifdef SCALEUP_SHA256_X86

namespace {
bool detect() noexcept {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid(1, &a, &b, &c, &d) == 0)
        return false;
    const bool ssse3 = (c & bit_SSSE3) != 0;
    const bool sse41 = (c & bit_SSE4_1) != 0;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0)
        return false;
    const bool sha = (b & (1U << 29)) != 0;  // CPUID.(EAX=7,ECX=0):EBX.SHA[bit 29]
    return ssse3 && sse41 && sha;
}
}  // namespace

bool x86_sha_available() noexcept {
    static const bool available = detect();  // constant for the process: read once
    return available;
}

// The round structure follows Intel's "SHA Extensions" paper: the state lives in two registers
// as ABEF and CDGH; each sha256rnds2 does two rounds; the message schedule for rounds 16..63 is
// built four words at a time with sha256msg1/msg2, in a ring of four registers.
//
// The state stays in registers across all of a call's blocks, and the sixteen groups are unrolled
// (the pragma): rolled, the ring of schedule registers was an array on the stack, and the digest
// ran at two thirds of OpenSSL's speed on the same machine (docs/benchmarks.md).
__attribute__((target("sha,ssse3,sse4.1"))) void sha256_compress_x86(std::uint32_t* state,
                                                                     const std::uint8_t* blocks,
                                                                     std::size_t count) noexcept {
    const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state));         // DCBA
    __m128i state1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(state + 4));  // HGFE
    tmp = _mm_shuffle_epi32(tmp, 0xB1);                                             // CDAB
    state1 = _mm_shuffle_epi32(state1, 0x1B);                                       // EFGH
    __m128i state0 = _mm_alignr_epi8(tmp, state1, 8);                               // ABEF
    state1 = _mm_blend_epi16(state1, tmp, 0xF0);                                    // CDGH
    for (; count > 0; --count, blocks += 64) {
        const __m128i abef_saved = state0;
        const __m128i cdgh_saved = state1;
        __m128i w[4];
#pragma GCC unroll 16
        for (int g = 0; g < 16; ++g) {  // 16 groups of four rounds
            __m128i& current = w[g % 4];
            if (g < 4) {
                current = _mm_shuffle_epi8(
                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(blocks + 16 * g)), byte_swap);
            }
            __m128i message = _mm_add_epi32(
                current,
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(&kSha256RoundConstants[4 * g])));
            state1 = _mm_sha256rnds2_epu32(state1, state0, message);
            if (g >= 3 && g < 15) {  // finish the schedule words of group g + 1
                __m128i& next = w[(g + 1) % 4];
                next = _mm_add_epi32(next, _mm_alignr_epi8(current, w[(g + 3) % 4], 4));
                next = _mm_sha256msg2_epu32(next, current);
            }
            message = _mm_shuffle_epi32(message, 0x0E);
            state0 = _mm_sha256rnds2_epu32(state0, state1, message);
            if (g >= 1 && g < 13) {  // start the schedule words of group g + 3
                __m128i& later = w[(g + 3) % 4];
                later = _mm_sha256msg1_epu32(later, current);
            }
        }
        state0 = _mm_add_epi32(state0, abef_saved);
        state1 = _mm_add_epi32(state1, cdgh_saved);
    }

    tmp = _mm_shuffle_epi32(state0, 0x1B);        // FEBA
    state1 = _mm_shuffle_epi32(state1, 0xB1);     // DCHG
    state0 = _mm_blend_epi16(tmp, state1, 0xF0);  // DCBA
    state1 = _mm_alignr_epi8(state1, tmp, 8);     // HGFE
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state), state0);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4), state1);
}

#else

bool x86_sha_available() noexcept {
    return false;
}

void sha256_compress_x86(std::uint32_t*, const std::uint8_t*, std::size_t) noexcept {
    std::abort();  // precondition violated: never called where x86_sha_available() is false
}

#endif

}  // namespace scaleup::detail
