#include <catch2/catch.hpp>

#include "core/common/json_scan.hpp"

using scaleup::top_level_string;

TEST_CASE("top_level_string reads a root member, not a nested one", "[json-scan]") {
    CHECK(top_level_string(R"({"action":"completed","x":{"action":"queued"}})", "action") ==
          "completed");
    CHECK(top_level_string(R"({"x":{"action":"queued"},"action":"in_progress"})", "action") ==
          "in_progress");
    CHECK(top_level_string(R"({"x":[{"action":"queued"}]})", "action") == std::nullopt);
    CHECK(top_level_string(R"({"action":"a","action":"b"})", "action") == "b");
}

TEST_CASE("top_level_string gives nothing for invalid JSON, non-objects or non-strings",
          "[json-scan]") {
    CHECK(top_level_string(R"({"action":"completed",)", "action") == std::nullopt);
    CHECK(top_level_string(R"({"action":"completed"} trailing)", "action") == std::nullopt);
    CHECK(top_level_string(R"(["action","completed"])", "action") == std::nullopt);
    CHECK(top_level_string(R"({"action":7})", "action") == std::nullopt);
    CHECK(top_level_string(R"({"action":["queued"]})", "action") == std::nullopt);
    CHECK(top_level_string("", "action") == std::nullopt);
}
