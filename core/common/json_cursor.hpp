// JsonCursor: a strict pull reader of JSON text (RFC 8259) that builds no document.
//
// Queue message bodies and queued webhook payloads are read on every job, and building an
// nlohmann document for them (a map node and a string per member) was the largest single cost of a
// simulated day. The cursor walks the text once: the caller asks for the members it wants, in the
// order they come, and skips the rest; a skipped value is still checked, and `expect_end` checks
// that nothing but white space follows. So a text the cursor accepts is one nlohmann accepts.
//
// Errors are InputErrors, as JsonReader's are, with the same words:
//   - bad syntax: at "/" "not valid JSON (byte N): ..." (N counts from 1, as nlohmann's does);
//   - a value of the wrong kind: at its JSON pointer, "expected a string, found number".
// The caller passes the pointer of the value it reads; the cursor does not track it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scaleup {

class JsonCursor {
  public:
    enum class Kind { object, array, string, number, boolean, null };

    /// Precondition: `text` outlives the cursor (keys and strings may point into it).
    explicit JsonCursor(std::string_view text) : text_(text) {}

    /// The kind of the next value, judged by its first character; bad syntax throws.
    Kind peek();
    /// Consumes a null if one is next: a null member counts as absent, as JsonReader has it.
    bool take_null();

    /// Enters the object that must be next (else "expected an object, found ..." at `pointer`).
    void enter_object(std::string_view pointer);
    /// Reads the next member's key, leaving the cursor at its value; false at the closing brace.
    /// The view lasts until the next call.
    bool next_member(std::string_view& key);

    /// Enters the array that must be next; next_element then says whether a value follows.
    void enter_array(std::string_view pointer);
    bool next_element();

    std::string string(std::string_view pointer);
    /// An integer from min to max; a number with a fraction or exponent is not an integer.
    std::int64_t integer(std::string_view pointer, std::int64_t min, std::int64_t max);
    std::vector<std::string> strings(std::string_view pointer);

    /// Skips the next value, checking it.
    void skip();
    /// Throws unless only white space is left.
    void expect_end();

    /// Throws the syntax error of `text`, if it has one. A reader that meets a field error before
    /// the end calls it first, so that bad syntax anywhere is the error reported, as it is when a
    /// whole document is parsed before any field is read.
    static void check_syntax(std::string_view text);

    /// The JSON pointer of member `key` of the value at `parent` (RFC 6901 escapes).
    static std::string pointer_to(std::string_view parent, std::string_view key);

    /// nlohmann's names for the kinds, used in "found ..." messages.
    static const char* name(Kind kind);

  private:
    [[noreturn]] void syntax_error(std::string_view what) const;
    [[noreturn]] void kind_error(std::string_view pointer, std::string_view expected);
    // Inline: called before nearly every token, and most often finds no space at all.
    void skip_space() {
        while (at_ < text_.size() && is_space(text_[at_]))
            ++at_;
    }
    static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
    /// At a container's next value: false, and the container closed, at `close`; otherwise the
    /// comma a value after the first needs is consumed.
    bool next_in_container(char close, std::string_view missing_comma);
    char next_char();
    void expect(char c);
    void check_word(std::string_view word) const;
    void expect_word(std::string_view word);
    /// Reads a string token; the view points into the text when it has no escapes, else into
    /// `scratch`.
    std::string_view read_string_token(std::string& scratch);
    void skip_string_token();
    /// skip() for the values that are most of a payload: ASCII strings without escapes, integers,
    /// literals and containers of them, 64 levels deep at most. True with the cursor past the
    /// value, which it checked in full; false on anything else, the cursor where it was.
    bool skip_plain_value();
    void read_escape(std::string& out);
    void check_utf8_sequence();
    /// integer()'s fast path: the plain integer at the cursor, or nullopt to take the careful one.
    std::optional<std::int64_t> small_integer(std::int64_t min, std::int64_t max);
    /// Reads a number token; true when it is an integer (no fraction, no exponent).
    bool read_number_token(std::string_view& token);
    void check_double_range(std::string_view token) const;

    /// The open containers, innermost last, true for an object. The first 64 levels are bits of
    /// a word (every payload the control plane reads nests less), deeper ones spill to a vector:
    /// a cursor per payload allocated only here.
    class OpenContainers {
      public:
        void push(bool object) {
            if (size_ < kInline)
                bits_ = object ? bits_ | bit(size_) : bits_ & ~bit(size_);
            else
                deeper_.push_back(object);
            ++size_;
        }
        void pop() {
            --size_;
            if (size_ >= kInline)
                deeper_.pop_back();
        }
        bool back() const { return size_ > kInline ? deeper_.back() : (bits_ & bit(size_ - 1)); }
        std::size_t size() const { return size_; }

      private:
        static constexpr std::size_t kInline = 64;
        static std::uint64_t bit(std::size_t level) { return std::uint64_t{1} << level; }
        std::uint64_t bits_ = 0;
        std::size_t size_ = 0;
        std::vector<bool> deeper_;
    };

    static constexpr std::size_t kStringsReserved = 4;

    std::string_view text_;
    std::size_t at_ = 0;
    // `first_` says the innermost container has no value yet (so no comma is due).
    OpenContainers open_;
    bool first_ = false;
    std::string key_scratch_;
};

/// Appends `text` as a JSON string, quoted and escaped as nlohmann's dump writes it (control
/// characters as \u00xx, everything else as is): the writing side of the cursor, for bodies
/// written member by member.
void append_json_string(std::string& out, std::string_view text);

}  // namespace scaleup
