// TagSet reads like the std::map of tags it replaced: key order, first value of a repeated key,
// find and at, replacing a value, and DescribeInstances' filter over it.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/common/tag_set.hpp"
#include "core/ports/fleet.hpp"

using scaleup::TagSet;

namespace {
std::vector<std::pair<std::string, std::string>> listed(const TagSet& tags) {
    return {tags.begin(), tags.end()};
}
}  // namespace

TEST_CASE("TagSet lists its tags by key, keeping a repeated key's first value", "[tag_set]") {
    const TagSet tags{{"scaleup:reservation", "r-0123456789abcdef0123"},
                      {"scaleup:owner", "acme"},
                      {"scaleup:labels", "linux,self-hosted,x64"},
                      {"scaleup:owner", "later"}};
    CHECK(tags.size() == 3);
    CHECK(listed(tags) == std::vector<std::pair<std::string, std::string>>{
                              {"scaleup:labels", "linux,self-hosted,x64"},
                              {"scaleup:owner", "acme"},
                              {"scaleup:reservation", "r-0123456789abcdef0123"}});
    CHECK(tags.at("scaleup:owner") == "acme");
    CHECK(tags.find("scaleup:own") == tags.end());
    CHECK(tags.find("scaleup:owner2") == tags.end());
    CHECK(tags.find("zzz") == tags.end());
    CHECK_THROWS_AS(tags.at("scaleup:missing"), std::out_of_range);
    CHECK(TagSet().empty());
}

TEST_CASE("TagSet sets a new tag in key order and replaces an existing value", "[tag_set]") {
    TagSet tags{{"b", "2"}};
    tags.insert_or_assign("c", "3");
    tags.insert_or_assign("a", "1");
    tags.insert_or_assign("b", "two");
    CHECK(listed(tags) ==
          std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"b", "two"}, {"c", "3"}});
    CHECK(tags == TagSet{{"c", "3"}, {"a", "1"}, {"b", "two"}});
    CHECK_FALSE(tags == TagSet{{"a", "1"}, {"b", "2"}, {"c", "3"}});
}

TEST_CASE("a describe filter matches only instances that carry every wanted tag", "[tag_set]") {
    const TagSet instance{{"scaleup:labels", "linux,x64"}, {"scaleup:owner", "acme"}};
    CHECK(scaleup::carries_tags(&instance, {}));
    CHECK(scaleup::carries_tags(&instance, {{"scaleup:owner", "acme"}}));
    CHECK(scaleup::carries_tags(&instance,
                                {{"scaleup:owner", "acme"}, {"scaleup:labels", "linux,x64"}}));
    CHECK_FALSE(scaleup::carries_tags(&instance, {{"scaleup:owner", "acm"}}));
    CHECK_FALSE(scaleup::carries_tags(&instance, {{"scaleup:reservation", "r-1"}}));
    CHECK_FALSE(scaleup::carries_tags(nullptr, {{"scaleup:owner", "acme"}}));
    CHECK(scaleup::carries_tags(nullptr, {}));
}
