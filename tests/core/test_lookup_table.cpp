// LookupTable and LookupSet: hashed lookups with map-like answers and no order to depend on.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "core/common/lookup_table.hpp"

using scaleup::LookupSet;
using scaleup::LookupTable;

TEST_CASE("LookupTable answers as a map does") {
    LookupTable<std::string, int> table;
    CHECK(table.empty());
    CHECK(table.find("a") == nullptr);
    CHECK_THROWS_AS(table.at("a"), std::out_of_range);

    auto [first, inserted] = table.try_emplace("a", 1);
    CHECK(inserted);
    CHECK(first == 1);
    auto [again, inserted_again] = table.try_emplace("a", 2);  // present: unchanged
    CHECK_FALSE(inserted_again);
    CHECK(again == 1);
    table["b"] = 5;
    table["c"];  // default-constructed
    CHECK(table.size() == 3);
    CHECK(table.at("b") == 5);
    CHECK(*table.find("c") == 0);
    CHECK(table.contains("a"));

    // References stay valid while the table grows (a node per entry, as std::map).
    const int* a = table.find("a");
    for (int i = 0; i < 1000; ++i)
        table.try_emplace("k" + std::to_string(i), i);
    CHECK(a == table.find("a"));

    CHECK(table.erase("a"));
    CHECK_FALSE(table.erase("a"));
    CHECK(table.find("a") == nullptr);
    table.erase_if([](const std::string& key, int value) { return key[0] == 'k' && value % 2; });
    CHECK(table.size() == 2 + 500);
    CHECK(table.contains("k0"));
    CHECK_FALSE(table.contains("k1"));
}

TEST_CASE("LookupSet answers as a set does") {
    LookupSet<std::string> set;
    CHECK(set.insert("i-1"));
    CHECK_FALSE(set.insert("i-1"));
    CHECK(set.insert("i-2"));
    CHECK(set.contains("i-1"));
    CHECK_FALSE(set.contains("i-3"));
    set.erase_if([](const std::string& id) { return id == "i-1"; });
    CHECK_FALSE(set.contains("i-1"));
    CHECK(set.size() == 1);
    CHECK(set.erase("i-2"));
    CHECK(set.empty());
}
