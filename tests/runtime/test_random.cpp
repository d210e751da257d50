// The portable PRNG: reference vectors from the algorithms' authors, and the distributions' bounds.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>

#include "core/runtime/random.hpp"

using namespace scaleup;

TEST_CASE("splitmix64 matches the reference output for seed 0") {
    SplitMix64 mix(0);
    CHECK(mix.next() == 0xe220a8397b1dcdafULL);
    CHECK(mix.next() == 0x6e789e6aa1b965f4ULL);
    CHECK(mix.next() == 0x06c45d188009454fULL);
}

TEST_CASE("xoshiro256** matches the reference output for state {1, 2, 3, 4}") {
    auto rng = Random::from_state({1, 2, 3, 4});
    const std::array<std::uint64_t, 10> expected{11520ULL,
                                                 0ULL,
                                                 1509978240ULL,
                                                 1215971899390074240ULL,
                                                 1216172134540287360ULL,
                                                 607988272756665600ULL,
                                                 16172922978634559625ULL,
                                                 8476171486693032832ULL,
                                                 10595114339597558777ULL,
                                                 2904607092377533576ULL};
    for (const auto value : expected)
        CHECK(rng.next_u64() == value);
}

TEST_CASE("golden values: seeded streams and distributions never change (traces depend on them)") {
    // Recorded once from this implementation (whose two parts match the reference vectors above).
    // If this test fails, every simulation's trace hash and every committed seed changes meaning.
    Random rng(42);
    CHECK(rng.next_u64() == 1546998764402558742ULL);
    CHECK(rng.next_u64() == 6990951692964543102ULL);
    CHECK(rng.next_u64() == 12544586762248559009ULL);
    Random dist(2026);
    CHECK(dist.below(1000) == 573);
    CHECK(dist.between(-50, 50) == -22);
    CHECK(dist.exponential(seconds(10)).count() == 2076277628);
}

TEST_CASE("below stays in range and reaches every value") {
    Random rng(1);
    std::array<int, 7> counts{};
    for (int i = 0; i < 7000; ++i) {
        const auto v = rng.below(7);
        REQUIRE(v < 7);
        ++counts[v];
    }
    for (const int c : counts)
        CHECK(c > 800);  // expectation 1000; 800 is > 6 sigma away
    CHECK_THROWS(rng.below(0));
}

TEST_CASE("between is inclusive at both ends") {
    Random rng(2);
    bool saw_low = false, saw_high = false;
    for (int i = 0; i < 1000; ++i) {
        const auto v = rng.between(-2, 2);
        REQUIRE(v >= -2);
        REQUIRE(v <= 2);
        saw_low |= v == -2;
        saw_high |= v == 2;
    }
    CHECK(saw_low);
    CHECK(saw_high);
    CHECK(rng.between(5, 5) == 5);
}

TEST_CASE("chance honours exact ratios, including never and always") {
    Random rng(3);
    int hits = 0;
    for (int i = 0; i < 10'000; ++i)
        hits += rng.chance(Ratio::percent(25)) ? 1 : 0;
    CHECK(hits > 2300);
    CHECK(hits < 2700);
    for (int i = 0; i < 100; ++i) {
        CHECK_FALSE(rng.chance(Ratio::never()));
        CHECK(rng.chance(Ratio::always()));
    }
    CHECK_THROWS(rng.chance(Ratio{3, 2}));
}

TEST_CASE("exponential draws have the requested mean, in integer arithmetic") {
    Random rng(4);
    std::int64_t total = 0;
    constexpr int n = 20'000;
    for (int i = 0; i < n; ++i) {
        const auto d = rng.exponential(seconds(10));
        REQUIRE(d.count() >= 0);
        REQUIRE(d <= seconds(320));
        total += d.count();
    }
    const auto mean = Duration{total / n};
    CHECK(mean > milliseconds(9700));
    CHECK(mean < milliseconds(10300));
}

TEST_CASE("fork gives an independent stream that is still a function of the seed") {
    Random a(5), b(5);
    Random fa = a.fork(), fb = b.fork();
    CHECK(fa.next_u64() == fb.next_u64());
    CHECK(a.next_u64() != fa.next_u64());
}
