// TraceDigest: the running 64-bit hash of a run's trace, folded from each event's values.
//
// A traced event is folded as it happens: its instant, its component and name, then its fields,
// as the values that would be formatted into its line (the format text's fingerprint, then each
// argument: an integer as one word, a text as its length and then its bytes in words). Nothing is
// formatted to fold it. A run that keeps no lines (every exploration seed) skips formatting
// altogether: formatting the lines of a standard hour was 14 % of its instructions outside SHA-256.
// A run that keeps lines formats them as well, and its digest is the same, since the values decide
// the lines: `--trace` does not change the hash it prints.
//
// Each word costs a multiply and a shift. Not cryptographic: it tells two runs apart, it does not
// resist an adversary.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

namespace scaleup {

class TraceDigest {
  public:
    void add_word(std::uint64_t word) noexcept {
        state_ = (state_ ^ word) * 0xbf58476d1ce4e5b9ULL;
        state_ ^= state_ >> 31;
    }
    /// Its length, then its bytes eight at a time, the last word padded with zeros: "ab" then "c"
    /// differs from "a" then "bc".
    void add_text(std::string_view text) noexcept;
    std::uint64_t value() const noexcept;

    /// A text's FNV-1a hash, at compile time: `tracef` folds its format as this one word.
    static constexpr std::uint64_t fingerprint(std::string_view text) noexcept {
        std::uint64_t hash = 0xcbf29ce484222325ULL;
        for (const char c : text)
            hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
        return hash;
    }

  private:
    std::uint64_t state_ = 0x9e3779b97f4a7c15ULL;
};

namespace detail {
template <typename T>
struct IsDuration : std::false_type {};
template <typename Rep, typename Period>
struct IsDuration<std::chrono::duration<Rep, Period>> : std::true_type {};
template <typename T>
struct IsTimePoint : std::false_type {};
template <typename Clock, typename Dur>
struct IsTimePoint<std::chrono::time_point<Clock, Dur>> : std::true_type {};

/// A field of another type is folded as the text fmt writes for it. It formats a copy: fmt takes
/// views (`fmt::join`) only as rvalues.
template <typename T>
void add_formatted_field(TraceDigest& digest, T value) {
    fmt::memory_buffer text;
    fmt::format_to(fmt::appender(text), "{}", std::move(value));
    digest.add_text(std::string_view(text.data(), text.size()));
}
}  // namespace detail

/// Folds one traced field by its value, as `Runtime::tracef` does for each argument.
template <typename T>
void add_trace_field(TraceDigest& digest, const T& value) {
    using Plain = std::remove_cvref_t<T>;
    if constexpr (std::is_integral_v<Plain> || std::is_enum_v<Plain>) {
        digest.add_word(static_cast<std::uint64_t>(value));
    } else if constexpr (std::is_same_v<std::decay_t<Plain>, const char*> ||
                         std::is_same_v<std::decay_t<Plain>, char*>) {
        digest.add_text(value == nullptr ? std::string_view() : std::string_view(value));
    } else if constexpr (std::is_convertible_v<const Plain&, std::string_view>) {
        digest.add_text(std::string_view(value));
    } else if constexpr (detail::IsDuration<Plain>::value) {
        digest.add_word(static_cast<std::uint64_t>(value.count()));
    } else if constexpr (detail::IsTimePoint<Plain>::value) {
        digest.add_word(static_cast<std::uint64_t>(value.time_since_epoch().count()));
    } else {
        detail::add_formatted_field(digest, value);
    }
}

}  // namespace scaleup
