#include "core/common/json_scan.hpp"

#include "core/common/json_cursor.hpp"
#include "core/common/json_reader.hpp"

namespace scaleup {

std::optional<std::string> first_top_level_string(std::string_view document, std::string_view key) {
    try {
        JsonCursor in(document);
        in.enter_object("");
        std::string_view name;
        while (in.next_member(name)) {
            if (name == key && in.peek() == JsonCursor::Kind::string)
                return in.string("");  // found: what follows is not read
            in.skip();
        }
    } catch (const InputError&) {
        // Broken before the member, or not an object: the caller parses it in full.
    }
    return std::nullopt;
}

}  // namespace scaleup
