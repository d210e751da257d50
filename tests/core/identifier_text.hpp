// Catch prints an Identifier as its text when a check fails.
#pragma once

#include <catch2/catch.hpp>

#include "core/common/identifier.hpp"

namespace Catch {
template <>
struct StringMaker<scaleup::Identifier> {
    static std::string convert(const scaleup::Identifier& id) {
        return StringMaker<std::string_view>::convert(id.view());
    }
};
}  // namespace Catch
