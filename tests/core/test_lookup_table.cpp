// LookupTable and LookupSet: hashed lookups with map-like answers and no order to depend on.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
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

    for (int i = 0; i < 1000; ++i)
        table.try_emplace("k" + std::to_string(i), i);
    CHECK(table.at("a") == 1);  // found again after the slots were rebuilt many times
    CHECK(table.at("k999") == 999);

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

TEST_CASE("LookupTable keeps every key findable through any mix of inserts and erases") {
    // Against std::map, with keys that collide in their probe runs (a small table, many keys) and
    // erasures from the middle of runs, the end of the entries and everywhere in between.
    LookupTable<std::string, int> table;
    std::map<std::string, int> model;
    std::uint64_t state = 12345;
    const auto next = [&state] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return state >> 33;
    };
    for (int step = 0; step < 20'000; ++step) {
        const std::string key = "i-" + std::to_string(next() % 700);
        switch (next() % 3) {
            case 0:
            case 1: {
                const int value = static_cast<int>(next() % 1000);
                const auto [got, inserted] = table.try_emplace(key, value);
                const auto [it, model_inserted] = model.try_emplace(key, value);
                REQUIRE(inserted == model_inserted);
                REQUIRE(got == it->second);
                break;
            }
            default:
                REQUIRE(table.erase(key) == (model.erase(key) == 1));
        }
        if (step % 1000 == 999) {
            table.erase_if([](const std::string&, int value) { return value % 7 == 0; });
            std::erase_if(model, [](const auto& entry) { return entry.second % 7 == 0; });
        }
        REQUIRE(table.size() == model.size());
    }
    for (int i = 0; i < 700; ++i) {
        const std::string key = "i-" + std::to_string(i);
        const auto it = model.find(key);
        const int* value = table.find(key);
        REQUIRE((value != nullptr) == (it != model.end()));
        if (value != nullptr)
            CHECK(*value == it->second);
    }
}
