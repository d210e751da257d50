#include "core/intake/hmac_sha256.hpp"

#include "core/intake/sha256_x86.hpp"

#include <algorithm>

namespace scaleup {

namespace {

using detail::kSha256RoundConstants;

// FIPS 180-4 §5.3.3: the first 32 bits of the fractional parts of the square roots of the first 8
// primes.
constexpr std::array<std::uint32_t, 8> kInitialState{
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

constexpr std::size_t kBlockBytes = 64;

constexpr std::uint32_t rotr(std::uint32_t x, int n) {
    return (x >> n) | (x << (32 - n));
}

std::uint32_t load_big_endian(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

std::string_view as_bytes(const Sha256Digest& digest) {
    return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

}  // namespace

Sha256::Engine Sha256::fastest_engine() noexcept {
    return detail::x86_sha_available() ? Engine::x86_sha : Engine::portable;
}

Sha256::Sha256(Engine engine) : state_(kInitialState), engine_(engine) {}

void Sha256::compress(const std::uint8_t* blocks, std::size_t count) {
    if (engine_ == Engine::x86_sha) {
        detail::sha256_compress_x86(state_.data(), blocks, count);
        return;
    }
    for (std::size_t i = 0; i < count; ++i)
        compress_portable(blocks + i * kBlockBytes);
}

void Sha256::compress_portable(const std::uint8_t* block) {
    std::array<std::uint32_t, 64> w;
    for (std::size_t t = 0; t < 16; ++t)
        w[t] = load_big_endian(block + 4 * t);
    for (std::size_t t = 16; t < 64; ++t) {
        const std::uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        const std::uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    std::uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
    std::uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
    for (std::size_t t = 0; t < 64; ++t) {
        const std::uint32_t sum1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        const std::uint32_t choose = (e & f) ^ (~e & g);
        const std::uint32_t t1 = h + sum1 + choose + kSha256RoundConstants[t] + w[t];
        const std::uint32_t sum0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        const std::uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
        const std::uint32_t t2 = sum0 + majority;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
    state_[4] += e;
    state_[5] += f;
    state_[6] += g;
    state_[7] += h;
}

void Sha256::update(std::string_view data) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(data.data());
    std::size_t left = data.size();
    length_ += left;
    if (buffered_ > 0) {
        const std::size_t take = std::min(left, kBlockBytes - buffered_);
        std::copy(p, p + take, buffer_.begin() + static_cast<std::ptrdiff_t>(buffered_));
        buffered_ += take;
        p += take;
        left -= take;
        if (buffered_ < kBlockBytes)
            return;
        compress(buffer_.data(), 1);
        buffered_ = 0;
    }
    const std::size_t whole = left / kBlockBytes;
    if (whole > 0)
        compress(p, whole);
    p += whole * kBlockBytes;
    left -= whole * kBlockBytes;
    std::copy(p, p + left, buffer_.begin());
    buffered_ = left;
}

Sha256Digest Sha256::finish() {
    // FIPS 180-4 §5.1.1: a 1 bit, zeros up to 56 bytes mod 64, then the length in bits (64-bit BE).
    const std::uint64_t bits = length_ * 8;
    buffer_[buffered_++] = 0x80;
    if (buffered_ > kBlockBytes - 8) {
        std::fill(buffer_.begin() + static_cast<std::ptrdiff_t>(buffered_), buffer_.end(), 0);
        compress(buffer_.data(), 1);
        buffered_ = 0;
    }
    std::fill(buffer_.begin() + static_cast<std::ptrdiff_t>(buffered_), buffer_.end() - 8, 0);
    for (int i = 0; i < 8; ++i)
        buffer_[kBlockBytes - 1 - static_cast<std::size_t>(i)] =
            static_cast<std::uint8_t>(bits >> (8 * i));
    compress(buffer_.data(), 1);

    Sha256Digest digest;
    for (std::size_t i = 0; i < 8; ++i) {
        digest[4 * i] = static_cast<std::uint8_t>(state_[i] >> 24);
        digest[4 * i + 1] = static_cast<std::uint8_t>(state_[i] >> 16);
        digest[4 * i + 2] = static_cast<std::uint8_t>(state_[i] >> 8);
        digest[4 * i + 3] = static_cast<std::uint8_t>(state_[i]);
    }
    return digest;
}

Sha256Digest sha256(std::string_view data) {
    Sha256 hash;
    hash.update(data);
    return hash.finish();
}

HmacSha256::HmacSha256(std::string_view key) {
    // RFC 2104: a key longer than the block is hashed first; the key is zero-padded to the block.
    std::array<std::uint8_t, kBlockBytes> block{};
    if (key.size() > kBlockBytes) {
        const Sha256Digest hashed = sha256(key);
        std::copy(hashed.begin(), hashed.end(), block.begin());
    } else {
        std::copy(key.begin(), key.end(), block.begin());
    }
    std::array<char, kBlockBytes> inner_pad;
    std::array<char, kBlockBytes> outer_pad;
    for (std::size_t i = 0; i < kBlockBytes; ++i) {
        inner_pad[i] = static_cast<char>(block[i] ^ 0x36);
        outer_pad[i] = static_cast<char>(block[i] ^ 0x5c);
    }
    inner_.update({inner_pad.data(), inner_pad.size()});
    outer_.update({outer_pad.data(), outer_pad.size()});
}

Sha256Digest HmacSha256::sign(std::string_view message) const {
    Sha256 inner = inner_;
    inner.update(message);
    const Sha256Digest inner_digest = inner.finish();
    Sha256 outer = outer_;
    outer.update(as_bytes(inner_digest));
    return outer.finish();
}

Sha256Digest hmac_sha256(std::string_view key, std::string_view message) {
    return HmacSha256(key).sign(message);
}

namespace {
/// Writes the digest's 64 lower-case hex digits at `out`.
void write_hex(const Sha256Digest& digest, char* out) {
    static constexpr char kDigits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < digest.size(); ++i) {
        out[2 * i] = kDigits[digest[i] >> 4];
        out[2 * i + 1] = kDigits[digest[i] & 0x0f];
    }
}

// "sha256=" and the hex digest, on the stack: intake checks a signature without allocating.
constexpr std::string_view kSignaturePrefix = "sha256=";
using SignatureText = std::array<char, kSignaturePrefix.size() + 64>;

SignatureText signature_text(const HmacSha256& key, std::string_view body) {
    SignatureText text{};
    std::copy(kSignaturePrefix.begin(), kSignaturePrefix.end(), text.begin());
    write_hex(key.sign(body), text.data() + kSignaturePrefix.size());
    return text;
}
}  // namespace

std::string to_hex(const Sha256Digest& digest) {
    std::string out(2 * digest.size(), '0');
    write_hex(digest, out.data());
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;  // the length of a signature is public: "sha256=" + 64 hex digits
    unsigned difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
    return difference == 0;
}

std::string github_signature(const HmacSha256& key, std::string_view body) {
    const SignatureText text = signature_text(key, body);
    return std::string(text.data(), text.size());
}

bool verify_github_signature(const HmacSha256& key, std::string_view body,
                             std::string_view header) {
    const SignatureText text = signature_text(key, body);
    return constant_time_equal(std::string_view(text.data(), text.size()), header);
}

}  // namespace scaleup
