// format_text: fmt::format for a compiled format (FMT_COMPILE), in one allocation.
//
// fmt 9's compiled fmt::format appends to an empty std::string, which grows on the way: an id or
// a GUID took two or three allocations, and ids are minted for every job. This writes into a stack
// buffer first and copies the result once.
#pragma once

#include <iterator>
#include <string>

#include <fmt/compile.h>
#include <fmt/format.h>

namespace scaleup {

template <typename Format, typename... Args>
std::string format_text(const Format& format, const Args&... args) {
    fmt::memory_buffer text;  // 500 bytes inline: longer texts grow it, as before
    fmt::format_to(std::back_inserter(text), format, args...);
    return std::string(text.data(), text.size());
}

}  // namespace scaleup
