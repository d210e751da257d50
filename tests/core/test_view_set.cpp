#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "core/common/sorted_views.hpp"

using scaleup::SortedViews;

namespace {
struct Named {
    std::string id;
};
SortedViews views_of(const std::vector<Named>& items) {
    return SortedViews(items, [](const Named& n) { return std::string_view(n.id); });
}
}  // namespace

TEST_CASE("SortedViews holds exactly the keys it was built from", "[sorted_views]") {
    // Instance ids share long prefixes, as EC2's do; some are short enough for the small-string
    // buffer, some are not, and one repeats.
    const std::vector<Named> items{
        {"i-0abc"}, {"i-0abcdef0123456789"}, {"i-0abcdef0123456788"}, {"i-0abc"}, {""}, {"i-1"}};
    const SortedViews set = views_of(items);
    CHECK(set.size() == 5);
    for (const Named& item : items)
        CHECK(set.contains(item.id));
    CHECK_FALSE(set.contains("i-0ab"));
    CHECK_FALSE(set.contains("i-0abcdef012345678"));
    CHECK_FALSE(set.contains("i-0abcdef01234567890"));
    CHECK_FALSE(set.contains("i-2"));
    CHECK(SortedViews().empty());
    CHECK_FALSE(SortedViews().contains(""));
}

TEST_CASE("SortedViews stays valid when the vector holding its strings is moved",
          "[sorted_views]") {
    // ScaleDown keeps a sweep's DescribeInstances answer by moving it, and its views with it.
    std::vector<Named> items{{"i-short"}, {"i-0123456789abcdef0-long-enough-to-allocate"}};
    SortedViews set = views_of(items);
    const std::vector<Named> kept = std::move(items);
    items = {{"i-other"}};
    CHECK(set.contains("i-short"));
    CHECK(set.contains("i-0123456789abcdef0-long-enough-to-allocate"));
    CHECK_FALSE(set.contains("i-other"));
    CHECK(kept.size() == 2);
}
