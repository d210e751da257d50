// WebhookIntake (docs/intake.md): signature first, then the payload; only queued jobs a pool serves
// are accepted; an accepted delivery is durable (ledger outbox, or the queue directly) before the
// 2xx; the answer comes within the budget; every delivery ends with exactly one outcome.
#include <catch2/catch.hpp>

#include <set>
#include <stdexcept>

#include "core/consumer/job_message.hpp"
#include "tests/core/intake_harness.hpp"

using namespace scaleup;
using namespace scaleup::testing;

namespace {

/// A queue whose send throws: a stand-in for a bug below intake.
class ThrowingQueue final : public QueuePort {
  public:
    Task<Result<std::vector<QueueMessage>>> receive(int, Duration) override {
        co_return std::vector<QueueMessage>{};
    }
    Task<Status> delete_message(std::string) override { co_return ok_status(); }
    Task<Status> change_visibility(std::string, Duration) override { co_return ok_status(); }
    Task<Status> send(std::string, Duration) override {
        throw std::runtime_error("unexpected: SDK threw");
    }
    Task<Status> send_to_dead_letter(std::string, std::string) override { co_return ok_status(); }
};

void require_nothing_recorded(IntakeHarness& h) {
    h.rt.run();
    CHECK(h.ledger.deliveries.empty());
    CHECK(h.queue.sent.empty());
    CHECK(h.ledger.enqueued.empty());
}

}  // namespace

TEST_CASE("a signed queued job is recorded, enqueued and answered 200", "[intake]") {
    IntakeHarness h;
    const Instant start = h.rt.now();
    const auto answer = h.deliver(queued_delivery(101, "guid-1"));
    CHECK(answer.response.status == 200);
    CHECK(answer.response.outcome == "enqueued");
    // Ledger (5 ms) then queue (10 ms): the 2xx waits for both, not for the bookkeeping after.
    CHECK(answer.at == start + milliseconds(15));
    REQUIRE(h.ledger.deliveries.count("guid-1") == 1);
    const OutboxEntry& entry = h.ledger.deliveries.at("guid-1");
    CHECK(entry.job_id == 101);
    CHECK(entry.received_at == start);
    REQUIRE(h.queue.sent.size() == 1);
    CHECK(h.queue.sent[0] == entry.message_body);
    CHECK(h.ledger.outbox_sent.empty());  // marked in the background, after the answer

    h.rt.run();
    CHECK(h.ledger.outbox_sent == std::set<std::string>{"guid-1"});
    CHECK(h.ledger.enqueued.at(101) == start + milliseconds(15));
    CHECK(h.outcomes("enqueued") == 1);
    CHECK(h.metrics.total("scaleup_intake_deliveries_total") == 1);
}

TEST_CASE("the queue message is the job message built from the payload", "[intake]") {
    IntakeHarness h;
    auto payload =
        workflow_job_json(76'773'615'870, "queued", {"self-hosted", "Linux"}, "octo-org");
    payload["workflow_job"]["run_id"] = 9'876'543'210;
    payload["installation"]["id"] = 23'154'469;
    const auto answer = h.deliver(signed_delivery(payload.dump(), "72d3162e-cc78-11e3-81ab"));
    REQUIRE(answer.response.outcome == "enqueued");

    JobMessage expected;
    expected.job_id = 76'773'615'870;  // 64-bit, as real job ids are
    expected.run_id = 9'876'543'210;
    expected.owner = "octo-org";
    expected.repo = "app";
    expected.owner_type = "Organization";
    expected.labels = {"self-hosted", "Linux"};  // as the job asked; the consumer normalises
    expected.installation_id = 23'154'469;
    expected.delivery_guid = "72d3162e-cc78-11e3-81ab";
    REQUIRE(h.queue.sent.size() == 1);
    CHECK(h.queue.sent[0] == expected.to_json());
    CHECK(JobMessage::parse(h.queue.sent[0]).job_id == 76'773'615'870);
}

TEST_CASE("a missing or wrong signature is a 401 and nothing is recorded", "[intake]") {
    IntakeHarness h;
    SECTION("missing") {
        auto d = queued_delivery(1, "g");
        d.headers.erase("x-hub-signature-256");
        const auto answer = h.deliver(d);
        CHECK(answer.response.status == 401);
        CHECK(answer.response.outcome == "signature_missing");
    }
    SECTION("signed with another secret") {
        const auto answer = h.deliver(
            signed_delivery(workflow_job_json(1).dump(), "g", "workflow_job", "not the secret"));
        CHECK(answer.response.status == 401);
        CHECK(answer.response.outcome == "signature_invalid");
    }
    SECTION("body changed after signing") {
        auto d = queued_delivery(1, "g");
        d.body = workflow_job_json(2).dump();
        const auto answer = h.deliver(d);
        CHECK(answer.response.status == 401);
        CHECK(answer.response.outcome == "signature_invalid");
    }
    SECTION("legacy sha1 header only") {
        auto d = queued_delivery(1, "g");
        d.headers.set("x-hub-signature",
                      "sha1=" + std::string(d.headers.at("x-hub-signature-256").substr(7, 40)));
        d.headers.erase("x-hub-signature-256");
        CHECK(h.deliver(d).response.outcome == "signature_missing");
    }
    require_nothing_recorded(h);
    CHECK(h.metrics.total("scaleup_intake_deliveries_total") == 1);
}

TEST_CASE("with no webhook secret configured every delivery is a 401", "[intake]") {
    ScaleUpConfig config = intake_config();
    config.webhook_secret.clear();
    IntakeHarness h(config);
    // Even one "signed" with the empty key: an empty secret must never verify anything.
    const auto answer =
        h.deliver(signed_delivery(workflow_job_json(1).dump(), "g", "workflow_job", ""));
    CHECK(answer.response.status == 401);
    CHECK(answer.response.outcome == "no_webhook_secret");
    require_nothing_recorded(h);
}

TEST_CASE("deliveries that need no runner are acknowledged with their reason", "[intake]") {
    IntakeHarness h;
    const auto outcome_of = [&](WebhookDelivery d) {
        const auto answer = h.deliver(std::move(d));
        CHECK(answer.response.status == 200);
        return answer.response.outcome;
    };
    CHECK(outcome_of(signed_delivery(R"({"zen":"Design for failure.","hook_id":1})", "g1",
                                     "ping")) == "not_workflow_job");
    CHECK(outcome_of(signed_delivery(workflow_job_json(2, "in_progress").dump(), "g2")) ==
          "not_queued_action");
    CHECK(outcome_of(signed_delivery(workflow_job_json(3, "completed").dump(), "g3")) ==
          "not_queued_action");
    CHECK(outcome_of(signed_delivery(workflow_job_json(4, "waiting").dump(), "g4")) ==
          "not_queued_action");
    auto no_installation = workflow_job_json(5);
    no_installation.erase("installation");
    CHECK(outcome_of(signed_delivery(no_installation.dump(), "g5")) == "missing_installation");
    CHECK(outcome_of(queued_delivery(6, "g6", {"self-hosted", "gpu"})) == "no_matching_pool");
    CHECK(outcome_of(queued_delivery(7, "g7", {"ubuntu-latest"})) == "no_matching_pool");
    require_nothing_recorded(h);
    CHECK(h.outcomes("not_workflow_job") == 1);
    CHECK(h.outcomes("not_queued_action") == 3);
    CHECK(h.outcomes("missing_installation") == 1);
    CHECK(h.outcomes("no_matching_pool") == 2);
}

TEST_CASE("labels match the pool as GitHub matches them", "[intake]") {
    IntakeHarness h;  // pool: self-hosted, linux, x64, k8s
    CHECK(h.deliver(queued_delivery(1, "g1", {"Self-Hosted", "LINUX"})).response.outcome ==
          "enqueued");
    CHECK(h.deliver(queued_delivery(2, "g2", {"self-hosted", "linux", "x64", "k8s", "linux"}))
              .response.outcome == "enqueued");
    CHECK(h.deliver(queued_delivery(3, "g3", {"self-hosted", "linux", "arm64"})).response.outcome ==
          "no_matching_pool");
}

TEST_CASE("a malformed payload is a 400 naming the problem, and nothing is recorded", "[intake]") {
    IntakeHarness h;
    const auto outcome_of = [&](const std::string& body) {
        const auto answer = h.deliver(signed_delivery(body, "g"));
        CHECK(answer.response.status == 400);
        return answer.response.outcome;
    };
    CHECK(outcome_of("{\"action\": \"queued\", ") == "malformed_payload");
    CHECK(outcome_of("[1, 2]") == "malformed_payload");
    CHECK(outcome_of(R"({"workflow_job": {}})") == "malformed_payload");  // no action
    auto string_id = workflow_job_json(1);
    string_id["workflow_job"]["id"] = "1";
    CHECK(outcome_of(string_id.dump()) == "malformed_payload");
    auto no_labels = workflow_job_json(1);
    no_labels["workflow_job"]["labels"] = nlohmann::json::array();
    CHECK(outcome_of(no_labels.dump()) == "malformed_payload");
    auto bot_owner = workflow_job_json(1);
    bot_owner["repository"]["owner"]["type"] = "Bot";
    CHECK(outcome_of(bot_owner.dump()) == "malformed_payload");
    auto bad_installation = workflow_job_json(1);
    bad_installation["installation"]["id"] = -3;
    CHECK(outcome_of(bad_installation.dump()) == "malformed_payload");
    require_nothing_recorded(h);
    CHECK(h.outcomes("malformed_payload") == 7);
}

TEST_CASE("the payload reader names the JSON pointer of a bad field", "[intake]") {
    auto payload = workflow_job_json(1);
    payload["workflow_job"]["labels"][1] = 7;
    const auto verdict = read_workflow_job(payload.dump(), normalise_labels({"self-hosted"}));
    REQUIRE(verdict.outcome == IntakeOutcome::malformed_payload);
    CHECK(verdict.detail == "at /workflow_job/labels/1: expected a string, found number");
}

TEST_CASE("an accepted job without a usable delivery GUID is a 400", "[intake]") {
    IntakeHarness h;
    auto d = queued_delivery(1, "");
    CHECK(h.deliver(d).response.outcome == "invalid_delivery_guid");
    d.headers.erase("x-github-delivery");
    CHECK(h.deliver(d).response.status == 400);
    CHECK(h.deliver(queued_delivery(1, std::string(129, 'g'))).response.outcome ==
          "invalid_delivery_guid");
    require_nothing_recorded(h);
}

TEST_CASE("a redelivery of the same GUID is a no-op answered 200 duplicate_delivery", "[intake]") {
    IntakeHarness h;
    CHECK(h.deliver(queued_delivery(1, "guid-1")).response.outcome == "enqueued");
    h.rt.run();
    const Instant second = h.rt.now();
    const auto answer = h.deliver(queued_delivery(1, "guid-1"));
    CHECK(answer.response.status == 200);
    CHECK(answer.response.outcome == "duplicate_delivery");
    CHECK(answer.at == second + milliseconds(5));  // one ledger round trip, no send
    h.rt.run();
    CHECK(h.queue.sent.size() == 1);
    CHECK(h.ledger.deliveries.size() == 1);
    // A new GUID for the same job (a re-run of the delivery by the reconciler) is a new delivery:
    // the consumer's per-job idempotency absorbs it.
    CHECK(h.deliver(queued_delivery(1, "guid-2")).response.outcome == "enqueued");
}

TEST_CASE("when the queue fails after recording, the answer is still 200: the relay sends it",
          "[intake][outbox]") {
    IntakeHarness h;
    h.queue.send_failures.push_back(aws_error(ErrorKind::transient, "sqs", "ServiceUnavailable"));
    const Instant start = h.rt.now();
    const auto answer = h.deliver(queued_delivery(1, "guid-1"));
    CHECK(answer.response.status == 200);
    CHECK(answer.response.outcome == "recorded");
    CHECK(answer.at == start + milliseconds(15));  // one try only: the message is durable already
    h.rt.run();
    CHECK(h.queue.sent.empty());
    CHECK(h.ledger.deliveries.count("guid-1") == 1);
    CHECK(h.ledger.outbox_sent.empty());
    CHECK(h.ledger.enqueued.empty());
}

TEST_CASE("a failed outbox mark leaves the entry to the relay, and the job is still noted",
          "[intake][outbox]") {
    IntakeHarness h;
    h.ledger.mark_sent_failures.push_back(
        aws_error(ErrorKind::transient, "ledger", "connection_lost"));
    const Instant start = h.rt.now();
    const auto answer = h.deliver(queued_delivery(7, "guid-7"));
    CHECK(answer.response.outcome == "enqueued");
    h.rt.run();
    CHECK(h.queue.sent.size() == 1);
    CHECK(h.ledger.outbox_sent.empty());  // the relay will send it again: at least once
    CHECK(h.ledger.enqueued.at(7) == start + milliseconds(15));
}

TEST_CASE("when the ledger fails, the delivery goes straight to the queue", "[intake]") {
    IntakeHarness h;
    h.ledger.record_failures.push_back(
        aws_error(ErrorKind::permanent, "ledger", "53300 too_many_connections"));
    const Instant start = h.rt.now();
    const auto answer = h.deliver(queued_delivery(1, "guid-1"));
    CHECK(answer.response.status == 200);
    CHECK(answer.response.outcome == "enqueued_direct");
    CHECK(answer.at == start + milliseconds(15));
    REQUIRE(h.queue.sent.size() == 1);
    CHECK(JobMessage::parse(h.queue.sent[0]).delivery_guid == "guid-1");
    h.rt.run();
    CHECK(h.ledger.deliveries.empty());
    CHECK(h.ledger.enqueued.at(1) == start + milliseconds(15));
}

TEST_CASE("transient ledger errors are retried within the ledger's half of the budget",
          "[intake]") {
    IntakeHarness h;
    for (int i = 0; i < 5; ++i)
        h.ledger.record_failures.push_back(aws_error(ErrorKind::transient, "ledger", "57P01"));
    const Instant start = h.rt.now();
    const auto answer = h.deliver(queued_delivery(1, "guid-1"));
    CHECK(answer.response.outcome == "enqueued_direct");  // five tries, then the queue
    CHECK(h.ledger.record_failures.empty());
    CHECK(answer.at < start + seconds(4) + milliseconds(10));
    CHECK(h.queue.sent.size() == 1);
}

TEST_CASE("a ledger that does not answer costs half the budget, then the queue takes it",
          "[intake]") {
    IntakeHarness h;
    h.ledger.latency = seconds(30);
    const Instant start = h.rt.now();
    const auto answer = h.deliver(queued_delivery(1, "guid-1"));
    CHECK(answer.response.outcome == "enqueued_direct");
    CHECK(answer.at == start + seconds(4) + milliseconds(10));
    CHECK(h.queue.sent.size() == 1);
}

TEST_CASE("when neither the ledger nor the queue answers, intake says 503 within the budget",
          "[intake]") {
    IntakeHarness h;
    h.ledger.latency = seconds(30);
    h.queue.latency = seconds(30);
    const Instant start = h.rt.now();
    const auto answer = h.deliver(queued_delivery(1, "guid-1"));
    CHECK(answer.response.status == 503);
    CHECK(answer.response.outcome == "unavailable");
    CHECK(answer.at == start + seconds(8));  // the whole budget, never more: GitHub waits 10 s
    CHECK(h.ledger.deliveries.empty());
    CHECK(h.queue.sent.empty());
    CHECK(h.outcomes("unavailable") == 1);
}

TEST_CASE("errors from both the ledger and the queue are a 503", "[intake]") {
    IntakeHarness h;
    h.ledger.record_failures.push_back(aws_error(ErrorKind::permanent, "ledger", "28P01"));
    for (int i = 0; i < 5; ++i)
        h.queue.send_failures.push_back(aws_error(ErrorKind::throttled, "sqs", "Throttling"));
    const auto answer = h.deliver(queued_delivery(1, "guid-1"));
    CHECK(answer.response.status == 503);
    CHECK(answer.response.outcome == "unavailable");
    require_nothing_recorded(h);
}

TEST_CASE("the intake budget is configurable and bounds the answer", "[intake]") {
    ScaleUpConfig config = intake_config();
    config.intake_budget = seconds(3);
    IntakeHarness h(config);
    h.ledger.latency = seconds(30);
    h.queue.latency = seconds(30);
    const Instant start = h.rt.now();
    const auto answer = h.deliver(queued_delivery(1, "guid-1"));
    CHECK(answer.response.outcome == "unavailable");
    CHECK(answer.at == start + seconds(3));
}

TEST_CASE("an exception below intake is a 500, never a success", "[intake]") {
    IntakeHarness h;
    ThrowingQueue queue;
    WebhookIntake intake(h.rt, h.config, h.ledger, queue, h.metrics);
    h.ledger.record_failures.push_back(aws_error(ErrorKind::permanent, "ledger", "XX000"));
    std::optional<IntakeHarness::Answer> answer;
    h.rt.spawn(IntakeHarness::deliver_into(h.rt, intake, queued_delivery(1, "g"), answer));
    h.rt.run();
    REQUIRE(answer);
    CHECK(answer->response.status == 500);
    CHECK(answer->response.outcome == "unexpected_error");
    CHECK(h.outcomes("unexpected_error") == 1);
}

TEST_CASE("intake outcomes are a closed set, each with one status", "[intake]") {
    std::set<std::string_view> names;
    for (const auto outcome : kAllIntakeOutcomes) {
        names.insert(to_string(outcome));
        const int status = http_status(outcome);
        CHECK((status == 200 || status == 400 || status == 401 || status == 500 || status == 503));
    }
    CHECK(names.size() == kAllIntakeOutcomes.size());
    CHECK(http_status(IntakeOutcome::duplicate_delivery) == 200);
    CHECK(http_status(IntakeOutcome::recorded) == 200);
    CHECK(http_status(IntakeOutcome::signature_invalid) == 401);
    CHECK(http_status(IntakeOutcome::unavailable) == 503);
}

TEST_CASE("intake config: budget and secret load from JSON with their defaults", "[intake]") {
    const auto defaults = ScaleUpConfig::from_json("{}");
    CHECK(defaults.intake_budget == seconds(8));
    CHECK(defaults.webhook_secret.empty());
    const auto c =
        ScaleUpConfig::from_json(R"({"intake_budget_seconds": 5, "webhook_secret": "s3cret"})");
    CHECK(c.intake_budget == seconds(5));
    CHECK(c.webhook_secret == "s3cret");
    CHECK_THROWS_WITH(ScaleUpConfig::from_json(R"({"intake_budget_seconds": 1})"),
                      Catch::Contains("/intake_budget_seconds"));
}

TEST_CASE("the eight real workflow_job payloads", "[intake]") {
    const auto examples = github_examples();
    if (!examples) {
        WARN("skipped: " << shared_testdata("github/workflow_job-examples.json") << " not found");
        SUCCEED();
        return;
    }
    REQUIRE(examples->size() == 8);
    // Example 5 asks for ubuntu-latest (GitHub-hosted); example 6 is action `queued` with job
    // status "waiting" (an environment) and labels self-hosted, k8s. The others are not queued.
    const std::vector<std::string> expected{
        "not_queued_action", "not_queued_action", "not_queued_action", "not_queued_action",
        "not_queued_action", "no_matching_pool",  "enqueued",          "not_queued_action"};
    IntakeHarness h;
    for (std::size_t i = 0; i < examples->size(); ++i) {
        const std::string body = (*examples)[i].dump();
        const auto answer = h.deliver(signed_delivery(body, fmt::format("guid-{}", i)));
        INFO("example " << i);
        CHECK(answer.response.status == 200);
        CHECK(answer.response.outcome == expected[i]);
    }
    REQUIRE(h.queue.sent.size() == 1);
    const JobMessage job = JobMessage::parse(h.queue.sent[0]);
    CHECK(job.job_id == 12'877'621'891);
    CHECK(job.run_id == 4'747'967'848);
    CHECK(job.owner == "lineville");
    CHECK(job.repo == "elastic-machines-testing");
    CHECK(job.owner_type == "User");
    CHECK(job.labels == std::vector<std::string>{"self-hosted", "k8s"});
    CHECK(job.installation_id == 23'154'469);
    CHECK(job.delivery_guid == "guid-6");

    SECTION("a pool with ubuntu-latest takes example 5") {
        ScaleUpConfig config = intake_config();
        config.runner_labels = {"ubuntu-latest"};
        IntakeHarness hosted(config);
        const auto answer = hosted.deliver(signed_delivery((*examples)[5].dump(), "g5"));
        CHECK(answer.response.outcome == "enqueued");
        CHECK(JobMessage::parse(hosted.queue.sent.at(0)).installation_id == 3'456'996);
    }
    SECTION("example 5 without its installation") {
        auto payload = (*examples)[5];
        payload.erase("installation");
        CHECK(h.deliver(signed_delivery(payload.dump(), "g5b")).response.outcome ==
              "missing_installation");
    }
    SECTION("the signature covers the raw bytes: re-serialised JSON does not verify") {
        auto d = signed_delivery((*examples)[6].dump(), "g6b");
        d.body = (*examples)[6].dump(2);
        CHECK(h.deliver(d).response.outcome == "signature_invalid");
    }
}
