// Reading one field of a JSON document without building the document.
//
// Most webhook deliveries are transitions intake does not act on (in_progress, completed): only
// their top-level "action" matters, and GitHub sends it first. Building the whole document to read
// it allocated a node per field; a JsonCursor reads up to the member and keeps only its string.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace scaleup {

/// The first top-level string member `key` of `document`, read up to that member only: what
/// follows it is not examined. Nullopt when the document up to there is not valid JSON, is not an
/// object, or has no string member `key` before it ends or breaks (callers then parse it in full,
/// for the precise error).
std::optional<std::string> first_top_level_string(std::string_view document, std::string_view key);

}  // namespace scaleup
