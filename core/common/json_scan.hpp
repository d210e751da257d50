// Reading one field of a JSON document without building the document.
//
// Most webhook deliveries are transitions intake does not act on (in_progress, completed): only
// their top-level "action" matters. Building the whole document to read it allocated a node per
// field; a SAX scan validates the same bytes and keeps only the one string.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace scaleup {

/// The top-level string member `key` of `document`. Nullopt when the document is not valid JSON,
/// is not an object, or has no string member `key` (callers then parse it fully, for the precise
/// error). The whole document is scanned, so a valid answer means valid JSON.
std::optional<std::string> top_level_string(std::string_view document, std::string_view key);

}  // namespace scaleup
