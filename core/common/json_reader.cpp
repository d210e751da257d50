#include "core/common/json_reader.hpp"

#include <fmt/format.h>

#include "core/common/json_cursor.hpp"

namespace scaleup {

namespace {
const char* type_name(const nlohmann::json& v) {
    return v.type_name();
}
}  // namespace

InputError::InputError(std::string pointer, std::string problem)
    : std::runtime_error(fmt::format("at {}: {}", pointer.empty() ? "/" : pointer, problem)),
      pointer_(std::move(pointer)),
      problem_(std::move(problem)) {}

nlohmann::json parse_json(const std::string& text) {
    return parse_json(text, nullptr);
}

nlohmann::json parse_json(const std::string& text, const nlohmann::json::parser_callback_t& keep) {
    try {
        return nlohmann::json::parse(text, keep);
    } catch (const nlohmann::json::parse_error& e) {
        throw InputError("", fmt::format("not valid JSON (byte {}): {}", e.byte, e.what()));
    }
}

JsonReader::JsonReader(const nlohmann::json& object, std::string pointer)
    : object_(object), pointer_(std::move(pointer)) {
    if (!object_.is_object()) {
        throw InputError(pointer_, fmt::format("expected an object, found {}", type_name(object_)));
    }
}

std::string JsonReader::pointer_of(const std::string& key) const {
    return JsonCursor::pointer_to(pointer_, key);
}

bool JsonReader::has(const std::string& key) const {
    read_.insert(key);
    return object_.contains(key) && !object_.at(key).is_null();
}

const nlohmann::json& JsonReader::field(const std::string& key) const {
    read_.insert(key);
    const auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
        throw InputError(pointer_of(key), "required field is missing");
    }
    return *it;
}

const nlohmann::json& JsonReader::raw(const std::string& key) const {
    return field(key);
}

std::string JsonReader::string(const std::string& key) const {
    const auto& v = field(key);
    if (!v.is_string()) {
        throw InputError(pointer_of(key), fmt::format("expected a string, found {}", type_name(v)));
    }
    return v.get<std::string>();
}

std::string JsonReader::string_or(const std::string& key, std::string fallback) const {
    return has(key) ? string(key) : fallback;
}

std::int64_t JsonReader::integer(const std::string& key, std::int64_t min, std::int64_t max) const {
    const auto& v = field(key);
    if (!v.is_number_integer()) {
        throw InputError(pointer_of(key),
                         fmt::format("expected an integer, found {}", type_name(v)));
    }
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
        throw InputError(pointer_of(key), fmt::format("expected an integer from {} to {}, found {}",
                                                      min, max, v.get<std::uint64_t>()));
    }
    const auto value = v.get<std::int64_t>();
    if (value < min || value > max) {
        throw InputError(pointer_of(key), fmt::format("expected an integer from {} to {}, found {}",
                                                      min, max, value));
    }
    return value;
}

std::int64_t JsonReader::integer_or(const std::string& key, std::int64_t fallback, std::int64_t min,
                                    std::int64_t max) const {
    return has(key) ? integer(key, min, max) : fallback;
}

bool JsonReader::boolean_or(const std::string& key, bool fallback) const {
    if (!has(key))
        return fallback;
    const auto& v = field(key);
    if (!v.is_boolean()) {
        throw InputError(pointer_of(key),
                         fmt::format("expected true or false, found {}", type_name(v)));
    }
    return v.get<bool>();
}

std::vector<std::string> JsonReader::strings(const std::string& key) const {
    const auto& v = field(key);
    if (!v.is_array()) {
        throw InputError(pointer_of(key),
                         fmt::format("expected an array of strings, found {}", type_name(v)));
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string()) {
            throw InputError(fmt::format("{}/{}", pointer_of(key), i),
                             fmt::format("expected a string, found {}", type_name(v[i])));
        }
        out.push_back(v[i].get<std::string>());
    }
    return out;
}

std::vector<std::string> JsonReader::strings_or(const std::string& key,
                                                std::vector<std::string> fallback) const {
    return has(key) ? strings(key) : fallback;
}

Duration JsonReader::seconds_or(const std::string& key, Duration fallback, std::int64_t min_seconds,
                                std::int64_t max_seconds) const {
    return has(key) ? seconds(integer(key, min_seconds, max_seconds)) : fallback;
}

JsonReader JsonReader::object(const std::string& key) const {
    return JsonReader(field(key), pointer_of(key));
}

void JsonReader::reject_unknown_keys() const {
    for (const auto& [key, value] : object_.items()) {
        if (read_.count(key) == 0) {
            throw InputError(pointer_of(key), "unknown field (misspelt?)");
        }
    }
}

}  // namespace scaleup
