#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "core/common/view_set.hpp"

using scaleup::ViewSet;

namespace {
struct Named {
    std::string id;
};
ViewSet views_of(const std::vector<Named>& items) {
    return ViewSet(items, [](const Named& n) { return std::string_view(n.id); });
}
}  // namespace

TEST_CASE("ViewSet holds exactly the keys it was built from", "[view_set]") {
    // Instance ids share long prefixes, as EC2's do; some are short enough for the small-string
    // buffer, some are not, and one repeats.
    const std::vector<Named> items{
        {"i-0abc"}, {"i-0abcdef0123456789"}, {"i-0abcdef0123456788"}, {"i-0abc"}, {""}, {"i-1"}};
    const ViewSet set = views_of(items);
    CHECK(set.size() == 5);
    for (const Named& item : items)
        CHECK(set.contains(item.id));
    CHECK_FALSE(set.contains("i-0ab"));
    CHECK_FALSE(set.contains("i-0abcdef012345678"));
    CHECK_FALSE(set.contains("i-0abcdef01234567890"));
    CHECK_FALSE(set.contains("i-2"));
    CHECK(ViewSet().empty());
    CHECK_FALSE(ViewSet().contains(""));
}

TEST_CASE("ViewSet stays valid when the vector holding its strings is moved", "[view_set]") {
    // ScaleDown keeps a sweep's DescribeInstances answer by moving it, and its views with it.
    std::vector<Named> items{{"i-short"}, {"i-0123456789abcdef0-long-enough-to-allocate"}};
    ViewSet set = views_of(items);
    const std::vector<Named> kept = std::move(items);
    items = {{"i-other"}};
    CHECK(set.contains("i-short"));
    CHECK(set.contains("i-0123456789abcdef0-long-enough-to-allocate"));
    CHECK_FALSE(set.contains("i-other"));
    CHECK(kept.size() == 2);
}

TEST_CASE("ViewSet finds every one of many keys and none of their neighbours", "[view_set]") {
    // A day's sweep holds hundreds of ids: enough for probes to run past occupied slots.
    std::vector<Named> items;
    for (int i = 0; i < 1000; ++i)
        items.push_back({fmt::format("i-{:017x}", 7919 * i)});
    const ViewSet set = views_of(items);
    CHECK(set.size() == 1000);
    int found = 0;
    int strangers = 0;
    for (int i = 0; i < 1000; ++i) {
        found += set.contains(fmt::format("i-{:017x}", 7919 * i)) ? 1 : 0;
        strangers += set.contains(fmt::format("i-{:017x}", 7919 * i + 1)) ? 1 : 0;
    }
    CHECK(found == 1000);
    CHECK(strangers == 0);
}
