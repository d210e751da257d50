// WebhookHeaders: the sorted header list a delivery carries to intake, its names and values in one
// buffer.
#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>
#include <string>

#include "core/intake/webhook_delivery.hpp"

using scaleup::WebhookHeaders;

TEST_CASE("webhook headers are found by name whatever order they were set in", "[intake]") {
    WebhookHeaders headers;
    headers.set("x-hub-signature-256", "sha256=ab");
    headers.set("content-type", "application/json");
    headers.set("x-github-delivery", "guid-1");
    CHECK(headers.size() == 3);
    CHECK(headers.at("content-type") == "application/json");
    CHECK(headers.get("x-github-delivery") == "guid-1");
    CHECK_FALSE(headers.get("x-github-event"));
    CHECK_THROWS_AS(headers.at("x-github-event"), std::out_of_range);
    // Kept in name order, so two lists of the same headers are equal.
    CHECK(headers.entry(0).name == "content-type");
    CHECK(headers.entry(2).value == "sha256=ab");
    CHECK(headers == WebhookHeaders{{"x-github-delivery", "guid-1"},
                                    {"content-type", "application/json"},
                                    {"x-hub-signature-256", "sha256=ab"}});
    CHECK_FALSE(headers == WebhookHeaders{{"x-github-delivery", "guid-2"},
                                          {"content-type", "application/json"},
                                          {"x-hub-signature-256", "sha256=ab"}});
}

TEST_CASE("setting a webhook header again replaces it, erasing removes only it", "[intake]") {
    WebhookHeaders headers{{"a", "1"}, {"b", "2"}, {"a", "ignored"}};  // a map keeps the first
    CHECK(headers.size() == 2);
    CHECK(headers.at("a") == "1");
    headers.set("a", "3");
    CHECK(headers.at("a") == "3");
    CHECK(headers.size() == 2);
    CHECK(headers.erase("a") == 1);
    CHECK(headers.erase("a") == 0);
    CHECK(headers.size() == 1);
    CHECK(headers.at("b") == "2");
}

TEST_CASE("a webhook header can be set from a view of the headers themselves", "[intake]") {
    // The buffer grows as headers are set; a value viewing the old buffer must be copied first.
    WebhookHeaders headers;
    headers.set("x-hub-signature-256", "sha256=0123456789abcdef0123456789abcdef");
    for (int i = 0; i < 20; ++i) {
        const auto signature = headers.at("x-hub-signature-256");
        headers.set("x-hub-signature-" + std::to_string(i), signature.substr(7, 10));
    }
    CHECK(headers.size() == 21);
    CHECK(headers.at("x-hub-signature-19") == "0123456789");
    headers.set("x-hub-signature-256", headers.at("x-hub-signature-256").substr(0, 6));
    CHECK(headers.at("x-hub-signature-256") == "sha256");
}

TEST_CASE("copied webhook headers stand alone", "[intake]") {
    auto original = std::make_unique<WebhookHeaders>(
        WebhookHeaders{{"x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"}});
    const WebhookHeaders copy = *original;
    original.reset();
    CHECK(copy.at("x-github-delivery") == "72d3162e-cc78-11e3-81ab-4c9367dc0958");
}
