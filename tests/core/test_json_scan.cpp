#include <catch2/catch.hpp>

#include "core/common/json_scan.hpp"

using scaleup::first_top_level_string;

TEST_CASE("first_top_level_string reads a root member, not a nested one", "[json-scan]") {
    CHECK(first_top_level_string(R"({"action":"completed","x":{"action":"queued"}})", "action") ==
          "completed");
    CHECK(first_top_level_string(R"({"x":{"action":"queued"},"action":"in_progress"})", "action") ==
          "in_progress");
    CHECK(first_top_level_string(R"({"x":[{"action":"queued"}]})", "action") == std::nullopt);
    CHECK(first_top_level_string(R"({"action":"a","action":"b"})", "action") == "a");
}

TEST_CASE("first_top_level_string stops at the member: what follows is not read", "[json-scan]") {
    CHECK(first_top_level_string(R"({"action":"completed",)", "action") == "completed");
    CHECK(first_top_level_string(R"({"action":"completed"} trailing)", "action") == "completed");
}

TEST_CASE("first_top_level_string gives nothing for broken JSON, non-objects or non-strings",
          "[json-scan]") {
    CHECK(first_top_level_string(R"({"x":tru, "action":"completed"})", "action") == std::nullopt);
    CHECK(first_top_level_string(R"(["action","completed"])", "action") == std::nullopt);
    CHECK(first_top_level_string(R"({"action":7})", "action") == std::nullopt);
    CHECK(first_top_level_string(R"({"action":["queued"]})", "action") == std::nullopt);
    CHECK(first_top_level_string(R"({"workflow_job":{}})", "action") == std::nullopt);
    CHECK(first_top_level_string("", "action") == std::nullopt);
}
