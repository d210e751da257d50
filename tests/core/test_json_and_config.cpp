// Rule 13 (configuration) and the job message format: strict, with errors that say where.
#include <catch2/catch.hpp>

#include "core/common/json_reader.hpp"
#include "core/config/scale_up_config.hpp"
#include "core/consumer/job_message.hpp"

using namespace scaleup;

TEST_CASE("an empty config object gives the documented defaults", "[config]") {
    const auto c = ScaleUpConfig::from_json("{}");
    CHECK(c.batch_size == 10);
    CHECK(c.max_runners == 3);
    CHECK(c.handler_timeout == seconds(30));
    CHECK(c.visibility_timeout == seconds(180));
    CHECK(c.token_refresh_margin == minutes(5));
    CHECK(c.github_retry.attempts == 3);
    CHECK(c.runner_labels == std::vector<std::string>{"self-hosted", "linux", "x64"});
    CHECK(c.org_runners);
    CHECK(c.ephemeral);
    CHECK_FALSE(c.job_queued_check);
}

TEST_CASE("config fields override the defaults", "[config]") {
    const auto c = ScaleUpConfig::from_json(R"({
        "batch_size": 5, "max_runners": 50, "org_runners": false, "job_queued_check": true,
        "runner_labels": ["self-hosted", "arm64"], "github_retry": {"attempts": 5},
        "visibility_timeout_seconds": 600})");
    CHECK(c.batch_size == 5);
    CHECK(c.max_runners == 50);
    CHECK_FALSE(c.org_runners);
    CHECK(c.job_queued_check);
    CHECK(c.runner_labels == std::vector<std::string>{"self-hosted", "arm64"});
    CHECK(c.github_retry.attempts == 5);
    CHECK(c.github_retry.base_backoff == seconds(1));
    CHECK(c.visibility_timeout == seconds(600));
}

TEST_CASE("bad config input names the JSON pointer and what was expected", "[config]") {
    auto error_of = [](const std::string& text) {
        try {
            (void)ScaleUpConfig::from_json(text);
        } catch (const InputError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(error_of(R"({"max_runner": 5})") == "at /max_runner: unknown field (misspelt?)");
    CHECK(error_of(R"({"batch_size": 11})") ==
          "at /batch_size: expected an integer from 1 to 10, found 11");
    CHECK(error_of(R"({"batch_size": "10"})") ==
          "at /batch_size: expected an integer, found string");
    CHECK(error_of(R"({"runner_labels": ["a", 3]})") ==
          "at /runner_labels/1: expected a string, found number");
    CHECK(error_of(R"({"github_retry": {"atempts": 2}})") ==
          "at /github_retry/atempts: unknown field (misspelt?)");
    CHECK(error_of(R"({"deadline_margin_seconds": 30})") ==
          "at /deadline_margin_seconds: must be less than handler_timeout_seconds");
    CHECK(error_of("{").rfind("at /: not valid JSON", 0) == 0);
    CHECK(error_of("[]") == "at /: expected an object, found array");
}

TEST_CASE("a job message round-trips through JSON", "[job-message]") {
    JobMessage m;
    m.job_id = 76773615870;  // GitHub job ids exceed 32 bits
    m.owner = "octo-org";
    m.repo = "hello";
    m.labels = {"self-hosted", "Linux"};
    m.installation_id = 9;
    m.delivery_guid = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
    const auto parsed = JobMessage::parse(m.to_json());
    CHECK(parsed.job_id == 76773615870);
    CHECK(parsed.owner == "octo-org");
    CHECK(parsed.labels == m.labels);
    CHECK(parsed.installation_id == 9);
    CHECK(parsed.delivery_guid == m.delivery_guid);
}

TEST_CASE("a malformed job message is rejected with the field that is wrong", "[job-message]") {
    CHECK_THROWS_WITH(JobMessage::parse("not-json{"), Catch::StartsWith("at /: not valid JSON"));
    CHECK_THROWS_WITH(JobMessage::parse(R"({"owner":"a","repo":"b","labels":["x"]})"),
                      "at /job_id: required field is missing");
    CHECK_THROWS_WITH(JobMessage::parse(R"({"job_id":1,"owner":"a","repo":"b","labels":[]})"),
                      "at /labels: a job has at least one label");
    CHECK_THROWS_WITH(JobMessage::parse(R"({"job_id":-4,"owner":"a","repo":"b","labels":["x"]})"),
                      Catch::StartsWith("at /job_id: expected an integer from 1"));
}

TEST_CASE("labels compare as GitHub compares them", "[job-message]") {
    CHECK(normalise_labels({"Linux", "self-hosted", "linux"}) ==
          std::vector<std::string>{"linux", "self-hosted"});
}
