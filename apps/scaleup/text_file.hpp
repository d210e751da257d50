#pragma once
// Writing a report or a scenario the command was asked for: one place for the three commands that
// write files, so they fail alike.

#include <fstream>
#include <string>

namespace scaleup::app {

/// Writes `text` to `path`, replacing it; false when the file cannot be written.
inline bool write_text_file(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
    return static_cast<bool>(out);
}

}  // namespace scaleup::app
