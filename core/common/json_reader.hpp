// JsonReader: strict reading of JSON input (config files, queue messages, scenario files).
//
// Bad input gets an InputError naming the JSON pointer of the offending field and what was
// expected; a key nobody reads is an error too, so a misspelt key never silently falls back to a
// default.
#pragma once

#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/runtime/time.hpp"

namespace scaleup {

class InputError : public std::runtime_error {
  public:
    InputError(std::string pointer, std::string problem);
    const std::string& pointer() const noexcept { return pointer_; }
    const std::string& problem() const noexcept { return problem_; }

  private:
    std::string pointer_;
    std::string problem_;
};

/// Parses text as JSON; a syntax error becomes an InputError with the byte offset.
nlohmann::json parse_json(const std::string& text);
/// The same, keeping only what `keep` accepts (nlohmann's parser callback): the whole text is
/// still checked, but a discarded value is never built.
nlohmann::json parse_json(const std::string& text, const nlohmann::json::parser_callback_t& keep);

class JsonReader {
  public:
    /// Precondition: none; a non-object value is reported as an InputError at `pointer`.
    JsonReader(const nlohmann::json& object, std::string pointer);

    bool has(const std::string& key) const;
    std::string string(const std::string& key) const;
    std::string string_or(const std::string& key, std::string fallback) const;
    std::int64_t integer(const std::string& key, std::int64_t min, std::int64_t max) const;
    std::int64_t integer_or(const std::string& key, std::int64_t fallback, std::int64_t min,
                            std::int64_t max) const;
    bool boolean_or(const std::string& key, bool fallback) const;
    std::vector<std::string> strings(const std::string& key) const;
    std::vector<std::string> strings_or(const std::string& key,
                                        std::vector<std::string> fallback) const;
    /// An integer number of seconds, read as a Duration.
    Duration seconds_or(const std::string& key, Duration fallback, std::int64_t min_seconds,
                        std::int64_t max_seconds) const;
    /// A nested object's reader (the key must be present and an object).
    JsonReader object(const std::string& key) const;
    const nlohmann::json& raw(const std::string& key) const;
    std::string pointer_of(const std::string& key) const;

    /// Reports any key that no accessor asked for.
    void reject_unknown_keys() const;

  private:
    const nlohmann::json& field(const std::string& key) const;
    const nlohmann::json& object_;
    std::string pointer_;
    mutable std::set<std::string> read_;
};

}  // namespace scaleup
