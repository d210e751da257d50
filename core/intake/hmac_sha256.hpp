// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for checking GitHub's `X-Hub-Signature-256`.
//
// core/ links only fmt and nlohmann_json, so the digest is implemented here rather than taken from
// OpenSSL. It is pinned by the NIST vectors, RFC 4231's HMAC cases and GitHub's own test vector
// (tests/core/test_hmac_sha256.cpp). The signature check compares in constant time: how many
// leading characters of a forged signature are right must not show in how long the check takes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace scaleup {

using Sha256Digest = std::array<std::uint8_t, 32>;

/// Incremental SHA-256: `update` any number of times, then `finish` once.
class Sha256 {
  public:
    /// How blocks are compressed: the portable reference, or the x86 SHA extensions.
    enum class Engine { portable, x86_sha };
    /// The x86 SHA extensions when the processor has them, else the portable code.
    static Engine fastest_engine() noexcept;

    explicit Sha256(Engine engine = fastest_engine());
    void update(std::string_view data);
    /// The digest of everything passed to `update`. The object is spent afterwards.
    Sha256Digest finish();

  private:
    void compress(const std::uint8_t* blocks, std::size_t count);
    void compress_portable(const std::uint8_t* block);

    std::array<std::uint32_t, 8> state_;
    std::array<std::uint8_t, 64> buffer_{};
    std::size_t buffered_ = 0;
    std::uint64_t length_ = 0;  // bytes hashed so far
    Engine engine_;
};

Sha256Digest sha256(std::string_view data);

/// HMAC-SHA256 with a fixed key. The key's inner and outer pad blocks are hashed once, at
/// construction, so signing a message costs the message's blocks plus two.
class HmacSha256 {
  public:
    explicit HmacSha256(std::string_view key);
    Sha256Digest sign(std::string_view message) const;

  private:
    Sha256 inner_;  // state after the key XOR ipad block
    Sha256 outer_;  // state after the key XOR opad block
};

Sha256Digest hmac_sha256(std::string_view key, std::string_view message);

/// Lowercase hexadecimal, two characters per byte.
std::string to_hex(const Sha256Digest& digest);

/// Equal strings, in a time that depends only on the lengths (never on where they differ).
bool constant_time_equal(std::string_view a, std::string_view b);

/// GitHub's `X-Hub-Signature-256` value for `body`: "sha256=" + lowercase hex HMAC-SHA256.
std::string github_signature(const HmacSha256& key, std::string_view body);
/// Whether `header` is the signature of `body` under `key`, compared in constant time.
bool verify_github_signature(const HmacSha256& key, std::string_view body, std::string_view header);

}  // namespace scaleup
