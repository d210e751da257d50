#include "core/common/json_cursor.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <iterator>
#include <limits>
#include <optional>
#include <system_error>

#include <fmt/format.h>

#include "core/common/byte_scan.hpp"
#include "core/common/json_reader.hpp"

namespace scaleup {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// How many leading bytes of `text` are plain string content: printable ASCII other than '"' and
// '\\'. Payloads are mostly such bytes.
std::size_t plain_prefix(std::string_view text) {
    return count_plain_bytes</*kStopAtQuotes=*/true, /*kStopAtNonAscii=*/true>(text);
}

void append_utf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
}

}  // namespace

std::string JsonCursor::pointer_to(std::string_view parent, std::string_view key) {
    std::string out(parent);
    out += '/';
    for (const char c : key) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

void JsonCursor::check_syntax(std::string_view text) {
    JsonCursor cursor(text);
    cursor.skip();
    cursor.expect_end();
}

const char* JsonCursor::name(Kind kind) {
    switch (kind) {
        case Kind::object:
            return "object";
        case Kind::array:
            return "array";
        case Kind::string:
            return "string";
        case Kind::number:
            return "number";
        case Kind::boolean:
            return "boolean";
        case Kind::null:
            return "null";
    }
    return "value";
}

void JsonCursor::syntax_error(std::string_view what) const {
    if (at_ >= text_.size()) {
        throw InputError("", fmt::format("not valid JSON (byte {}): unexpected end of input ({})",
                                         at_ + 1, what));
    }
    throw InputError("", fmt::format("not valid JSON (byte {}): {}", at_ + 1, what));
}

void JsonCursor::kind_error(std::string_view pointer, std::string_view expected) {
    const char* found = name(peek());
    throw InputError(std::string(pointer), fmt::format("expected {}, found {}", expected, found));
}

char JsonCursor::next_char() {
    if (at_ >= text_.size())
        syntax_error("in a string");
    return text_[at_++];
}

void JsonCursor::expect(char c) {
    skip_space();
    if (at_ >= text_.size() || text_[at_] != c)
        syntax_error(fmt::format("expected '{}'", c));
    ++at_;
}

void JsonCursor::check_word(std::string_view word) const {
    if (text_.substr(at_, word.size()) != word)
        syntax_error("invalid literal");
}

void JsonCursor::expect_word(std::string_view word) {
    check_word(word);
    at_ += word.size();
}

JsonCursor::Kind JsonCursor::peek() {
    skip_space();
    if (at_ >= text_.size())
        syntax_error("expected a value");
    const char c = text_[at_];
    switch (c) {
        case '{':
            return Kind::object;
        case '[':
            return Kind::array;
        case '"':
            return Kind::string;
        case 't':
        case 'f':
            check_word(c == 't' ? "true" : "false");
            return Kind::boolean;
        case 'n':
            check_word("null");
            return Kind::null;
        default:
            if (c == '-' || is_digit(c))
                return Kind::number;
            syntax_error("expected a value");
    }
}

bool JsonCursor::take_null() {
    if (peek() != Kind::null)
        return false;
    expect_word("null");
    return true;
}

void JsonCursor::enter_object(std::string_view pointer) {
    if (peek() != Kind::object)
        kind_error(pointer, "an object");
    ++at_;
    open_.push(true);
    first_ = true;
}

void JsonCursor::enter_array(std::string_view pointer) {
    if (peek() != Kind::array)
        kind_error(pointer, "an array");
    ++at_;
    open_.push(false);
    first_ = true;
}

bool JsonCursor::next_in_container(char close, std::string_view missing_comma) {
    skip_space();
    if (at_ < text_.size() && text_[at_] == close) {
        ++at_;
        open_.pop();
        first_ = false;
        return false;
    }
    if (!first_) {
        if (at_ >= text_.size() || text_[at_] != ',')
            syntax_error(missing_comma);
        ++at_;
        skip_space();
    }
    first_ = false;
    return true;
}

bool JsonCursor::next_member(std::string_view& key) {
    if (!next_in_container('}', "expected ',' or '}' after an object member"))
        return false;
    if (at_ >= text_.size() || text_[at_] != '"')
        syntax_error("expected a string as an object key");
    // Keys are short and plain, and a colon follows them at once: read those in one scan (the
    // general path below took a third of reading a message). Anything else takes that path from
    // the same place.
    const std::size_t start = at_ + 1;
    const std::size_t close = start + plain_prefix(text_.substr(start));
    if (close + 1 < text_.size() && text_[close] == '"' && text_[close + 1] == ':') {
        key = text_.substr(start, close - start);
        at_ = close + 2;
        return true;
    }
    key = read_string_token(key_scratch_);
    expect(':');
    return true;
}

bool JsonCursor::next_element() {
    return next_in_container(']', "expected ',' or ']' after an array element");
}

std::string JsonCursor::string(std::string_view pointer) {
    if (peek() != Kind::string)
        kind_error(pointer, "a string");
    std::string scratch;
    const std::string_view value = read_string_token(scratch);
    return value.data() == scratch.data() ? std::move(scratch) : std::string(value);
}

std::int64_t JsonCursor::integer(std::string_view pointer, std::int64_t min, std::int64_t max) {
    if (peek() != Kind::number)
        kind_error(pointer, "an integer");
    if (const auto value = small_integer(min, max))
        return *value;
    std::string_view token;
    if (!read_number_token(token))
        throw InputError(std::string(pointer), "expected an integer, found number");
    const bool negative = token.front() == '-';
    const std::string_view digits = token.substr(negative ? 1 : 0);
    std::uint64_t magnitude = 0;
    // Nineteen digits always fit in 64 bits; only a longer token needs the overflow test (and
    // its division per digit).
    constexpr std::size_t kAlwaysFits = 19;
    for (const char c : digits.substr(0, kAlwaysFits))
        magnitude = magnitude * 10 + static_cast<std::uint64_t>(c - '0');
    for (const char c : digits.substr(std::min(digits.size(), kAlwaysFits))) {
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (magnitude > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
            // Beyond 64 bits nlohmann keeps it as a floating-point number.
            throw InputError(std::string(pointer), "expected an integer, found number");
        }
        magnitude = magnitude * 10 + digit;
    }
    constexpr auto kLargest = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    const auto out_of_range = [&](auto found) {
        return InputError(
            std::string(pointer),
            fmt::format("expected an integer from {} to {}, found {}", min, max, found));
    };
    if (negative) {
        if (magnitude > kLargest + 1)
            throw InputError(std::string(pointer), "expected an integer, found number");
        const std::int64_t value = magnitude == kLargest + 1
                                       ? std::numeric_limits<std::int64_t>::min()
                                       : -static_cast<std::int64_t>(magnitude);
        if (value < min || value > max)
            throw out_of_range(value);
        return value;
    }
    if (magnitude > static_cast<std::uint64_t>(max) || static_cast<std::int64_t>(magnitude) < min)
        throw out_of_range(magnitude);
    return static_cast<std::int64_t>(magnitude);
}

// The common integer: up to eighteen digits, no sign, no leading zero, no fraction or exponent
// after it, and from min to max. Read straight from the text, past it when found; anything else
// (and any error) is left to integer()'s careful path, the cursor where it was.
std::optional<std::int64_t> JsonCursor::small_integer(std::int64_t min, std::int64_t max) {
    constexpr std::size_t kMostDigits = 18;  // below 10^18: fits, with no overflow test
    const std::size_t end = std::min(text_.size(), at_ + kMostDigits);
    std::size_t p = at_;
    if (p == end || text_[p] == '0')
        return std::nullopt;
    std::int64_t value = 0;
    for (; p < end && is_digit(text_[p]); ++p)
        value = value * 10 + (text_[p] - '0');
    if (p == at_)
        return std::nullopt;
    if (p < text_.size() &&
        (is_digit(text_[p]) || text_[p] == '.' || text_[p] == 'e' || text_[p] == 'E')) {
        return std::nullopt;
    }
    if (value < min || value > max)
        return std::nullopt;
    at_ = p;
    return value;
}

std::vector<std::string> JsonCursor::strings(std::string_view pointer) {
    if (peek() != Kind::array)
        kind_error(pointer, "an array of strings");
    enter_array(pointer);
    std::vector<std::string> out;
    out.reserve(kStringsReserved);  // one allocation for the usual few labels, not three
    while (next_element()) {
        if (peek() != Kind::string)
            kind_error(fmt::format("{}/{}", pointer, out.size()), "a string");
        out.push_back(string(""));
    }
    return out;
}

void JsonCursor::skip() {
    if (skip_plain_value())
        return;
    // Anything the plain skip does not check itself (an escape, UTF-8, a fraction, an error) is
    // read by the careful path below, from the value's start: it names the error, if any.
    const std::size_t depth = open_.size();
    do {
        switch (peek()) {
            case Kind::object:
                enter_object("");
                break;
            case Kind::array:
                enter_array("");
                break;
            case Kind::string:
                skip_string_token();
                break;
            case Kind::number: {
                std::string_view token;
                (void)read_number_token(token);
                break;
            }
            case Kind::boolean:
                expect_word(text_[at_] == 't' ? "true" : "false");
                break;
            case Kind::null:
                expect_word("null");
                break;
        }
        // Close what has ended; stop at the next value still inside the skipped one.
        std::string_view key;
        while (open_.size() > depth && !(open_.back() ? next_member(key) : next_element())) {
        }
    } while (open_.size() > depth);
}

// Most of a webhook is values intake skips (the repository, organization and sender objects),
// and skip() went through peek, next_member and expect per value: a third of reading a payload.
// This walks the same grammar in one loop over the bytes. It gives up (false) rather than report:
// the careful path then starts over at the same value, so every error keeps its words and place.
bool JsonCursor::skip_plain_value() {
    const char* const begin = text_.data();
    const char* const end = begin + text_.size();
    const char* p = begin + at_;
    const auto space = [&] {
        while (p < end && is_space(*p))
            ++p;
    };
    const auto plain_string = [&] {  // at the opening quote
        ++p;
        p += count_plain_bytes</*kStopAtQuotes=*/true, /*kStopAtNonAscii=*/true>(
            std::string_view(p, static_cast<std::size_t>(end - p)));
        if (p == end || *p != '"')
            return false;  // an escape, a control character, UTF-8 or the end: the careful path
        ++p;
        return true;
    };
    const auto key = [&] {  // a member's key and its colon
        if (p == end || *p != '"' || !plain_string())
            return false;
        space();
        if (p == end || *p != ':')
            return false;
        ++p;
        return true;
    };
    const auto word = [&](std::string_view w) {
        if (static_cast<std::size_t>(end - p) < w.size() || std::string_view(p, w.size()) != w)
            return false;
        p += w.size();
        return true;
    };
    const auto integer = [&] {
        if (*p == '-')
            ++p;
        if (p == end || !is_digit(*p))
            return false;
        if (*p == '0') {
            ++p;
        } else {
            while (p < end && is_digit(*p))
                ++p;
        }
        // A leading zero's digits, a fraction or an exponent: the careful path decides.
        return p == end || !(is_digit(*p) || *p == '.' || *p == 'e' || *p == 'E');
    };

    std::uint64_t objects = 0;  // bit d: the container open at depth d is an object
    std::size_t depth = 0;
    for (;;) {
        // A value.
        space();
        if (p == end)
            return false;
        const char c = *p;
        bool value_ended = true;
        if (c == '{' || c == '[') {
            if (depth == 64)
                return false;
            const bool object = c == '{';
            objects = object ? objects | (std::uint64_t{1} << depth)
                             : objects & ~(std::uint64_t{1} << depth);
            ++depth;
            ++p;
            space();
            if (p < end && *p == (object ? '}' : ']')) {
                ++p;
                --depth;
            } else if (object && !key()) {
                return false;
            } else {
                value_ended = false;  // its first value follows
            }
        } else if (c == '"') {
            if (!plain_string())
                return false;
        } else if (c == 't' || c == 'f' || c == 'n') {
            if (!word(c == 't' ? "true" : c == 'f' ? "false" : "null"))
                return false;
        } else if (c == '-' || is_digit(c)) {
            if (!integer())
                return false;
        } else {
            return false;
        }
        if (!value_ended)
            continue;
        // After a value: close what has ended, then a comma and the next value, or done.
        for (;;) {
            if (depth == 0) {
                at_ = static_cast<std::size_t>(p - begin);
                return true;
            }
            space();
            if (p == end)
                return false;
            const bool object = (objects >> (depth - 1)) & 1U;
            if (*p == (object ? '}' : ']')) {
                ++p;
                --depth;
                continue;
            }
            if (*p != ',')
                return false;
            ++p;
            if (object) {
                space();
                if (!key())
                    return false;
            }
            break;
        }
    }
}

void JsonCursor::expect_end() {
    skip_space();
    if (at_ != text_.size())
        syntax_error("unexpected text after the JSON value");
}

std::string_view JsonCursor::read_string_token(std::string& scratch) {
    ++at_;  // the opening quote
    const std::size_t start = at_;
    // The common case: no escape, so the value is a view of the text.
    while (at_ < text_.size()) {
        at_ += plain_prefix(text_.substr(at_));
        if (at_ == text_.size())
            break;
        const auto c = static_cast<unsigned char>(text_[at_]);
        if (c == '"') {
            return text_.substr(start, at_++ - start);
        }
        if (c == '\\')
            break;
        if (c < 0x20)
            syntax_error("control character in a string (escape it)");
        if (c >= 0x80) {
            check_utf8_sequence();
        } else {
            ++at_;
        }
    }
    scratch.assign(text_.substr(start, at_ - start));
    while (true) {
        const char c = next_char();
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"')
            return scratch;
        if (c == '\\') {
            read_escape(scratch);
        } else if (byte < 0x20) {
            --at_;
            syntax_error("control character in a string (escape it)");
        } else if (byte >= 0x80) {
            const std::size_t from = --at_;
            check_utf8_sequence();
            scratch.append(text_.substr(from, at_ - from));
        } else {
            scratch += c;
        }
    }
}

void JsonCursor::skip_string_token() {
    std::string scratch;
    (void)read_string_token(scratch);
}

void JsonCursor::read_escape(std::string& out) {
    const char c = next_char();
    switch (c) {
        case '"':
        case '\\':
        case '/':
            out += c;
            return;
        case 'b':
            out += '\b';
            return;
        case 'f':
            out += '\f';
            return;
        case 'n':
            out += '\n';
            return;
        case 'r':
            out += '\r';
            return;
        case 't':
            out += '\t';
            return;
        case 'u':
            break;
        default:
            --at_;
            syntax_error("invalid escape in a string");
    }
    const auto read_hex4 = [this] {
        std::uint32_t code = 0;
        for (int i = 0; i < 4; ++i) {
            const int digit = hex_value(next_char());
            if (digit < 0) {
                --at_;
                syntax_error("\\u must be followed by four hex digits");
            }
            code = code * 16 + static_cast<std::uint32_t>(digit);
        }
        return code;
    };
    std::uint32_t code = read_hex4();
    if (code >= 0xDC00 && code <= 0xDFFF)
        syntax_error("a low surrogate without a high one");
    if (code >= 0xD800 && code <= 0xDBFF) {
        if (next_char() != '\\' || next_char() != 'u')
            syntax_error("a high surrogate must be followed by a low one");
        const std::uint32_t low = read_hex4();
        if (low < 0xDC00 || low > 0xDFFF)
            syntax_error("a high surrogate must be followed by a low one");
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, code);
}

// Checks one multi-byte UTF-8 sequence at the cursor (Unicode table 3-7: no overlong forms, no
// surrogates, nothing above U+10FFFF) and moves past it.
void JsonCursor::check_utf8_sequence() {
    const auto lead = static_cast<unsigned char>(text_[at_]);
    int continuation = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        continuation = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        continuation = 2;
        low = lead == 0xE0 ? 0xA0 : 0x80;
        high = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        continuation = 3;
        low = lead == 0xF0 ? 0x90 : 0x80;
        high = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
        syntax_error("invalid UTF-8 in a string");
    }
    ++at_;
    for (int i = 0; i < continuation; ++i) {
        if (at_ >= text_.size())
            syntax_error("invalid UTF-8 in a string");
        const auto byte = static_cast<unsigned char>(text_[at_]);
        if (byte < low || byte > high)
            syntax_error("invalid UTF-8 in a string");
        low = 0x80;
        high = 0xBF;
        ++at_;
    }
}

bool JsonCursor::read_number_token(std::string_view& token) {
    const std::size_t start = at_;
    const auto digits = [this] {
        const std::size_t from = at_;
        while (at_ < text_.size() && is_digit(text_[at_]))
            ++at_;
        return at_ - from;
    };
    if (text_[at_] == '-')
        ++at_;
    if (at_ < text_.size() && text_[at_] == '0') {
        ++at_;
    } else if (digits() == 0) {
        syntax_error("a number needs a digit");
    }
    bool integral = true;
    if (at_ < text_.size() && text_[at_] == '.') {
        ++at_;
        integral = false;
        if (digits() == 0)
            syntax_error("a fraction needs a digit");
    }
    if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
        ++at_;
        integral = false;
        if (at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-'))
            ++at_;
        if (digits() == 0)
            syntax_error("an exponent needs a digit");
    }
    token = text_.substr(start, at_ - start);
    if (!integral)
        check_double_range(token);
    return integral;
}

// nlohmann keeps a number with a fraction or exponent as a double and rejects one too large for
// it (1e400); underflow to zero is accepted. The cursor accepts the same numbers.
void JsonCursor::check_double_range(std::string_view token) const {
    double value = 0;
    const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value);
    if (error != std::errc::result_out_of_range)
        return;
    // Out of range either way: it overflows when its first significant digit stands at a
    // positive power of ten.
    const std::size_t exponent_at = token.find_first_of("eE");
    const std::string_view mantissa = token.substr(0, exponent_at);
    std::int64_t exponent = 0;
    if (exponent_at != std::string_view::npos) {
        std::string_view digits = token.substr(exponent_at + 1);
        const bool negative = !digits.empty() && digits.front() == '-';
        if (!digits.empty() && (digits.front() == '-' || digits.front() == '+'))
            digits.remove_prefix(1);
        for (const char c : digits)
            exponent = std::min<std::int64_t>(exponent * 10 + (c - '0'), 1'000'000'000);
        exponent = negative ? -exponent : exponent;
    }
    const std::size_t point = std::min(mantissa.find('.'), mantissa.size());
    const std::size_t first = mantissa.find_first_of("123456789");
    const std::int64_t position = first < point ? static_cast<std::int64_t>(point - first) - 1
                                                : -static_cast<std::int64_t>(first - point);
    if (exponent + position > 0)
        syntax_error("number too large for a double");
}

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    std::size_t plain_from = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        // Bytes from 0x80 on are written as they are: the text is UTF-8 already.
        i += count_plain_bytes</*kStopAtQuotes=*/true, /*kStopAtNonAscii=*/false>(text.substr(i));
        if (i == text.size())
            break;
        const auto byte = static_cast<unsigned char>(text[i]);
        out.append(text.substr(plain_from, i - plain_from));
        plain_from = i + 1;
        switch (byte) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                fmt::format_to(std::back_inserter(out), "\\u{:04x}", byte);
        }
    }
    out.append(text.substr(plain_from));
    out += '"';
}

}  // namespace scaleup
