// WebhookHeaders: the flat, sorted header list a delivery carries to intake.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "core/intake/webhook_delivery.hpp"

using scaleup::WebhookHeaders;

TEST_CASE("webhook headers are found by name whatever order they were set in", "[intake]") {
    WebhookHeaders headers;
    headers["x-hub-signature-256"] = "sha256=ab";
    headers["content-type"] = "application/json";
    headers["x-github-delivery"] = "guid-1";
    CHECK(headers.size() == 3);
    CHECK(headers.at("content-type") == "application/json");
    CHECK(headers.find("x-github-delivery")->second == "guid-1");
    CHECK(headers.find("x-github-event") == headers.end());
    CHECK_THROWS_AS(headers.at("x-github-event"), std::out_of_range);
    // Kept in name order, so two lists of the same headers are equal.
    CHECK(headers.begin()->first == "content-type");
    CHECK(headers == WebhookHeaders{{"x-github-delivery", "guid-1"},
                                    {"content-type", "application/json"},
                                    {"x-hub-signature-256", "sha256=ab"}});
}

TEST_CASE("setting a webhook header again replaces it; erasing removes only it", "[intake]") {
    WebhookHeaders headers{{"a", "1"}, {"b", "2"}, {"a", "ignored"}};  // a map keeps the first
    CHECK(headers.size() == 2);
    CHECK(headers.at("a") == "1");
    headers["a"] = "3";
    CHECK(headers.at("a") == "3");
    CHECK(headers.erase("a") == 1);
    CHECK(headers.erase("a") == 0);
    CHECK(headers.size() == 1);
    CHECK(headers.at("b") == "2");
}
