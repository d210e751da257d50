#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/common/identifier.hpp"
#include "core/common/lookup_table.hpp"
#include "tests/core/identifier_text.hpp"

using scaleup::Identifier;

namespace test_identifier {
// The longest text kept inline, and one byte more (which goes to the heap).
const std::string kInlineText(Identifier::kInline, 'a');
const std::string kHeapText = kInlineText + "b";
}  // namespace test_identifier

using namespace test_identifier;

TEST_CASE("Identifier keeps any text whole, inline or on the heap", "[identifier]") {
    for (const std::string& text :
         {std::string(), std::string("i-0123456789abcdef0"), kInlineText, kHeapText}) {
        const Identifier id(text);
        CHECK(id.view() == text);
        CHECK(id.size() == text.size());
        CHECK(id.empty() == text.empty());
        CHECK(id.str() == text);
        CHECK(fmt::format("<{}>", id) == "<" + text + ">");
    }
}

TEST_CASE("Identifier copies and moves keep their own text", "[identifier]") {
    for (const std::string& text :
         {std::string("6f1d2a0e-1b1c-11ef-8b3a-0123456789ab"), kHeapText}) {
        Identifier original(text);
        Identifier copy(original);
        Identifier assigned("x");
        assigned = original;
        CHECK(copy == original);
        CHECK(assigned == original);

        Identifier moved(std::move(copy));
        CHECK(moved.view() == text);
        CHECK(copy.empty());  // NOLINT: a moved-from Identifier is empty (its contract)
        Identifier move_assigned(kHeapText);
        move_assigned = std::move(moved);
        CHECK(move_assigned.view() == text);

        Identifier& same = original;
        original = same;  // self-assignment keeps the text
        CHECK(original.view() == text);
    }
}

TEST_CASE("Identifier compares with any text as its characters do", "[identifier]") {
    const Identifier id("i-2");
    CHECK(id == "i-2");
    CHECK(id == std::string("i-2"));
    CHECK(std::string("i-2") == id);
    CHECK(id != std::string_view("i-20"));
    CHECK(id < Identifier("i-3"));
    CHECK(Identifier("i-10") < id);  // text order, not numeric
    CHECK(Identifier(kInlineText) < Identifier(kHeapText));
    CHECK((id <=> std::string_view("i-2")) == std::strong_ordering::equal);
}

TEST_CASE("Identifier keys ordered and hashed tables by its text", "[identifier]") {
    std::map<Identifier, int> ordered{{"b", 2}, {kHeapText, 3}, {"a", 1}};
    std::vector<std::string> keys;
    for (const auto& [key, value] : ordered)
        keys.push_back(key.str());
    CHECK(keys == std::vector<std::string>{"a", kHeapText, "b"});

    scaleup::LookupTable<Identifier, int> hashed;
    hashed[Identifier("i-1")] = 1;
    hashed[Identifier(kHeapText)] = 2;
    REQUIRE(hashed.find(Identifier("i-1")) != nullptr);
    CHECK(*hashed.find(Identifier("i-1")) == 1);
    CHECK(*hashed.find(Identifier(kHeapText)) == 2);
    CHECK(hashed.find(Identifier("i-2")) == nullptr);
    CHECK(std::hash<Identifier>{}(Identifier("i-1")) == std::hash<std::string_view>{}("i-1"));
}
