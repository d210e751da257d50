// SHA-256 and HMAC-SHA256 against published vectors (NIST FIPS 180-4 examples, RFC 4231, GitHub's
// "Validating webhook deliveries" example), and the constant-time signature check.
#include <catch2/catch.hpp>

#include <string>

#include "core/intake/hmac_sha256.hpp"

using namespace scaleup;

namespace {
std::string hex_sha256(const std::string& data) {
    return to_hex(sha256(data));
}
}  // namespace

TEST_CASE("SHA-256 matches the NIST example vectors", "[hmac]") {
    // FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA256_2.pdf") and the empty message.
    CHECK(hex_sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hex_sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hex_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(hex_sha256(std::string(1'000'000, 'a')) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("SHA-256 pads correctly at every block boundary", "[hmac]") {
    // 55 bytes is the longest message whose padding fits one block; 56-63 spill into a second.
    // Expected values from an independent implementation (Python's hashlib).
    CHECK(hex_sha256(std::string(55, 'a')) ==
          "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    CHECK(hex_sha256(std::string(56, 'a')) ==
          "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    CHECK(hex_sha256(std::string(63, 'a')) ==
          "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
    CHECK(hex_sha256(std::string(64, 'a')) ==
          "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
    CHECK(hex_sha256(std::string(65, 'a')) ==
          "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0");
    CHECK(hex_sha256(std::string(119, 'a')) ==
          "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb");
    CHECK(hex_sha256(std::string(120, 'a')) ==
          "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c");
}

TEST_CASE("SHA-256 gives the same digest however the input is split", "[hmac]") {
    std::string message;
    for (int i = 0; i < 300; ++i)
        message += static_cast<char>(i * 7 + 3);
    const Sha256Digest whole = sha256(message);
    for (std::size_t split = 0; split <= message.size(); ++split) {
        Sha256 hash;
        hash.update(std::string_view(message).substr(0, split));
        hash.update(std::string_view(message).substr(split));
        REQUIRE(hash.finish() == whole);
    }
    Sha256 bytewise;
    for (const char c : message)
        bytewise.update(std::string_view(&c, 1));
    CHECK(bytewise.finish() == whole);
}

TEST_CASE("HMAC-SHA256 matches RFC 4231", "[hmac]") {
    // Test case 1: a 20-byte key of 0x0b.
    CHECK(to_hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")) ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    // Test case 2: a key shorter than the output.
    CHECK(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 6: a 131-byte key, longer than the block, is hashed first.
    CHECK(to_hex(hmac_sha256(std::string(131, '\xaa'),
                             "Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("X-Hub-Signature-256 matches GitHub's documented example", "[hmac]") {
    const HmacSha256 key("It's a Secret to Everybody");
    const std::string expected =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    CHECK(github_signature(key, "Hello, World!") == expected);
    CHECK(verify_github_signature(key, "Hello, World!", expected));
    // One key signs many bodies: the precomputed pads are not consumed.
    CHECK(github_signature(key, "Hello, World!") == expected);
}

TEST_CASE("a signature verifies only for the exact body, key and format", "[hmac]") {
    const HmacSha256 key("It's a Secret to Everybody");
    const std::string good =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    CHECK_FALSE(verify_github_signature(key, "Hello, World!\n", good));  // one byte more
    CHECK_FALSE(
        verify_github_signature(HmacSha256("It's a secret to everybody"), "Hello, World!", good));
    CHECK_FALSE(verify_github_signature(key, "Hello, World!", ""));
    CHECK_FALSE(verify_github_signature(key, "Hello, World!", good.substr(7)));  // no prefix
    CHECK_FALSE(verify_github_signature(
        key, "Hello, World!",
        "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17"));  // not lower
    CHECK_FALSE(verify_github_signature(key, "Hello, World!", good + "0"));
    std::string last_digit_wrong = good;
    last_digit_wrong.back() = '6';
    CHECK_FALSE(verify_github_signature(key, "Hello, World!", last_digit_wrong));
}

TEST_CASE("constant_time_equal compares whole strings", "[hmac]") {
    CHECK(constant_time_equal("", ""));
    CHECK(constant_time_equal("sha256=ab", "sha256=ab"));
    CHECK_FALSE(constant_time_equal("sha256=ab", "sha256=ac"));
    CHECK_FALSE(constant_time_equal("xha256=ab", "sha256=ab"));
    CHECK_FALSE(constant_time_equal("sha256=ab", "sha256=abc"));
    CHECK_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST_CASE("the portable and x86 SHA engines give the same digests", "[hmac]") {
    const auto digest = [](Sha256::Engine engine, std::string_view data) {
        Sha256 hash(engine);
        hash.update(data);
        return to_hex(hash.finish());
    };
    // The portable engine is the reference, pinned by the published vectors on its own.
    CHECK(digest(Sha256::Engine::portable, "abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(digest(Sha256::Engine::portable, std::string(1'000'000, 'a')) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    if (Sha256::fastest_engine() != Sha256::Engine::x86_sha) {
        WARN("skipped: this processor has no SHA extensions; only the portable engine runs");
        return;
    }
    std::string message;
    for (int length = 0; length < 700; ++length) {
        REQUIRE(digest(Sha256::Engine::x86_sha, message) ==
                digest(Sha256::Engine::portable, message));
        message += static_cast<char>((length * 131 + 17) & 0xff);
    }
}

TEST_CASE("a message fed in pieces has the digest of the whole, on either engine", "[hmac]") {
    // update() compresses what it buffered, then every whole block of the rest in one call, then
    // buffers the tail: pieces that end inside, at and across block boundaries exercise each path.
    std::string message;
    for (int i = 0; i < 1000; ++i)
        message += static_cast<char>((i * 37 + 11) & 0xff);
    for (const Sha256::Engine engine : {Sha256::Engine::portable, Sha256::fastest_engine()}) {
        Sha256 whole(engine);
        whole.update(message);
        const std::string expected = to_hex(whole.finish());
        for (const std::size_t piece : {1, 7, 63, 64, 65, 128, 191, 300}) {
            Sha256 hash(engine);
            for (std::size_t at = 0; at < message.size(); at += piece)
                hash.update(std::string_view(message).substr(at, piece));
            CHECK(to_hex(hash.finish()) == expected);
        }
    }
}
