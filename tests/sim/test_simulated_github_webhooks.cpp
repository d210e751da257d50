// SimulatedGitHub, webhook side: signed workflow_job deliveries, the delivery log, failures that
// GitHub never retries, redelivery with the same GUID, and paging through the log.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/intake/hmac_sha256.hpp"
#include "sim/backends/workflow_job_payload.hpp"
#include "tests/sim/simulated_github_fixture.hpp"

using namespace scaleup;
using namespace scaleup::sim;
using scaleup::sim::testing::exact_options;
using scaleup::sim::testing::GitHubFixture;

namespace {

std::int64_t queue(GitHubFixture& f) {
    return f.github.queue_job("acme", "app", {"self-hosted", "linux"}, minutes(2), f.org);
}

std::vector<HookDelivery> whole_log(GitHubFixture& f, std::size_t* pages = nullptr) {
    std::vector<HookDelivery> all;
    std::string cursor;
    std::size_t count = 0;
    do {
        Result<HookDeliveryPage> page = f.run(f.github.list_hook_deliveries(f.claims(), cursor));
        REQUIRE(page.ok());
        ++count;
        all.insert(all.end(), page.value().deliveries.begin(), page.value().deliveries.end());
        cursor = page.value().next_cursor;
    } while (!cursor.empty());
    if (pages)
        *pages = count;
    return all;
}

}  // namespace

TEST_CASE("ISO 8601 timestamps are UTC whole seconds", "[sim-github]") {
    CHECK(format_iso8601(sim::kSimulationEpoch) == "2026-01-01T00:00:00Z");
    CHECK(format_iso8601(instant_from_unix_seconds(951'782'400 + 86'399) + milliseconds(999)) ==
          "2000-02-29T23:59:59Z");
}

TEST_CASE("each job transition is delivered once, signed, and logged", "[sim-github]") {
    GitHubFixture f;
    f.record_webhooks();
    const std::int64_t job = queue(f);
    f.rt.run_for(seconds(1));

    REQUIRE(f.intake.received.size() == 1);
    const WebhookDelivery& delivery = f.intake.received[0];
    const auto& headers = delivery.headers;
    CHECK(headers.at("x-github-event") == "workflow_job");
    CHECK(headers.at("content-type") == "application/json");
    CHECK(headers.at("x-github-hook-installation-target-id") == "1");
    const HmacSha256 key("simulated webhook secret");
    CHECK(verify_github_signature(key, delivery.body, headers.at("x-hub-signature-256")));
    CHECK_FALSE(verify_github_signature(HmacSha256("wrong"), delivery.body,
                                        headers.at("x-hub-signature-256")));

    const nlohmann::json body = nlohmann::json::parse(delivery.body);
    CHECK(body["action"] == "queued");
    CHECK(body["workflow_job"]["id"].get<std::int64_t>() == job);
    CHECK(job == 76'773'615'870);
    CHECK(body["workflow_job"]["run_id"].get<std::int64_t>() > 0);
    CHECK(body["workflow_job"]["status"] == "queued");
    CHECK(body["workflow_job"]["labels"] == nlohmann::json({"self-hosted", "linux"}));
    CHECK(body["workflow_job"]["runner_id"].is_null());
    CHECK(body["workflow_job"]["created_at"] == "2026-01-01T00:00:00Z");
    CHECK(body["repository"]["name"] == "app");
    CHECK(body["repository"]["full_name"] == "acme/app");
    CHECK(body["repository"]["owner"]["login"] == "acme");
    CHECK(body["repository"]["owner"]["type"] == "Organization");
    CHECK(body["installation"]["id"].get<std::int64_t>() == f.org);
    CHECK(body["organization"]["login"] == "acme");

    REQUIRE(f.github.delivery_attempts().size() == 1);
    const HookDelivery logged = f.github.hook_delivery(f.github.delivery_attempts()[0]);
    CHECK(logged.guid == headers.at("x-github-delivery"));
    CHECK(logged.delivered_at == sim::kSimulationEpoch + milliseconds(500));
    CHECK(logged.status_code == 200);
    CHECK(logged.status == "OK");
    CHECK_FALSE(logged.redelivery);
    CHECK(logged.event == "workflow_job");
    CHECK(logged.action == "queued");

    // A user account's job says so in repository.owner.type, and has no organization.
    const std::int64_t user = f.github.add_installation("alice", AccountType::user);
    f.github.queue_job("alice", "dotfiles", {"self-hosted"}, minutes(1), user);
    f.rt.run_for(seconds(1));
    REQUIRE(f.intake.received.size() == 2);
    const nlohmann::json user_body = nlohmann::json::parse(f.intake.received[1].body);
    CHECK(user_body["repository"]["owner"]["type"] == "User");
    CHECK_FALSE(user_body.contains("organization"));
    CHECK(f.intake.received[1].headers.at("x-github-delivery") != logged.guid);
}

TEST_CASE("a failed delivery is logged and never retried by GitHub", "[sim-github]") {
    auto options = exact_options();
    options.intake_unreachable = {
        {sim::kSimulationEpoch + minutes(10), sim::kSimulationEpoch + minutes(40)}};
    GitHubFixture f(options);
    f.record_webhooks();

    SECTION("intake answers 503") {
        f.intake.status = 503;
        queue(f);
        f.rt.run_for(hours(2));
        CHECK(f.intake.received.size() == 1);
        REQUIRE(f.github.delivery_attempts().size() == 1);
        CHECK(f.github.delivery_attempts()[0].status_code == 503);
        CHECK(f.github.delivery_attempts()[0].status == "Invalid HTTP Response: 503");
    }
    SECTION("intake takes longer than 10 s") {
        f.intake.delay = seconds(11);
        queue(f);
        f.rt.run_for(hours(2));
        CHECK(f.intake.received.size() == 1);  // it did arrive; GitHub gave up first
        REQUIRE(f.github.delivery_attempts().size() == 1);
        const auto& attempt = f.github.delivery_attempts()[0];
        CHECK(attempt.status_code == 0);
        CHECK(attempt.status != "OK");
        CHECK(attempt.duration == seconds(10));
    }
    SECTION("intake unreachable for 30 minutes: 502 without reaching intake") {
        f.rt.run_until(sim::kSimulationEpoch + minutes(10));
        queue(f);
        f.rt.run_until(sim::kSimulationEpoch + minutes(40) - seconds(1));
        queue(f);  // delivered at 40 min - 0.5 s: still inside the window
        f.rt.run_for(seconds(1));
        queue(f);  // after the window
        f.rt.run_for(hours(2));
        CHECK(f.intake.received.size() == 1);
        REQUIRE(f.github.delivery_attempts().size() == 3);
        CHECK(f.github.delivery_attempts()[0].status_code == 502);
        CHECK(f.github.delivery_attempts()[1].status_code == 502);
        CHECK(f.github.delivery_attempts()[2].status == "OK");
    }
}

TEST_CASE("a redelivery re-sends the same GUID and bytes, within three days", "[sim-github]") {
    GitHubFixture f;
    f.record_webhooks();
    f.intake.status = 500;
    queue(f);
    f.rt.run_for(seconds(1));
    const std::vector<HookDelivery> log = whole_log(f);
    REQUIRE(log.size() == 1);
    const HookDelivery failed = log[0];
    CHECK(failed.status_code == 500);

    f.intake.status = 202;
    REQUIRE(f.run(f.github.redeliver_hook_delivery(f.claims(), failed.id)).ok());
    f.rt.run_for(seconds(1));
    REQUIRE(f.intake.received.size() == 2);
    CHECK(f.intake.received[1].headers == f.intake.received[0].headers);
    CHECK(f.intake.received[1].body == f.intake.received[0].body);

    const std::vector<HookDelivery> after = whole_log(f);
    REQUIRE(after.size() == 2);
    const HookDelivery& again = after[0];  // newest first
    CHECK(again.id != failed.id);
    CHECK(again.guid == failed.guid);
    CHECK(again.redelivery);
    CHECK(again.status == "OK");
    CHECK(again.status_code == 202);
    CHECK(after[1].id == failed.id);

    CHECK(f.run(f.github.redeliver_hook_delivery(f.claims(), 42)).error().code == "404");
    f.rt.run_until(failed.delivered_at + hours(72) - milliseconds(50));  // arrives at 72 h
    CHECK(f.run(f.github.redeliver_hook_delivery(f.claims(), failed.id)).ok());
    f.rt.run_until(failed.delivered_at + hours(72) + seconds(1));
    Status too_old = f.run(f.github.redeliver_hook_delivery(f.claims(), failed.id));
    REQUIRE_FALSE(too_old.ok());
    CHECK(too_old.error().kind == ErrorKind::invalid);
    CHECK(too_old.error().code == "422");
}

TEST_CASE("the delivery log pages newest first, 100 per page, stable under new deliveries",
          "[sim-github]") {
    GitHubFixture f;
    f.record_webhooks();
    for (int i = 0; i < 250; ++i)
        queue(f);
    f.rt.run_for(seconds(1));
    REQUIRE(f.github.delivery_attempts().size() == 250);

    Result<HookDeliveryPage> first = f.run(f.github.list_hook_deliveries(f.claims(), ""));
    REQUIRE(first.ok());
    REQUIRE(first.value().deliveries.size() == 100);
    CHECK(first.value().deliveries[0].id == f.github.delivery_attempts().back().id);
    REQUIRE_FALSE(first.value().next_cursor.empty());

    queue(f);  // a new delivery between pages does not shift the next page
    f.rt.run_for(seconds(1));
    Result<HookDeliveryPage> second =
        f.run(f.github.list_hook_deliveries(f.claims(), first.value().next_cursor));
    REQUIRE(second.value().deliveries.size() == 100);
    CHECK(second.value().deliveries[0].id == first.value().deliveries.back().id - 1);

    std::size_t pages = 0;
    const std::vector<HookDelivery> all = whole_log(f, &pages);
    CHECK(pages == 3);
    REQUIRE(all.size() == 251);
    std::set<std::int64_t> ids;
    for (std::size_t i = 0; i < all.size(); ++i) {
        ids.insert(all[i].id);
        if (i > 0)
            CHECK(all[i].id < all[i - 1].id);
    }
    CHECK(ids.size() == 251);
    CHECK(f.run(f.github.list_hook_deliveries(f.claims(), "garbage")).error().code == "422");
    // The log is App-level: a bad JWT cannot read it.
    AppJwtClaims expired = f.claims();
    expired.expires_at = unix_seconds(f.rt.now()) - 1;
    CHECK(f.run(f.github.list_hook_deliveries(expired, "")).error().code == "401");
}
