// The simulated GitHub writes workflow_job bodies by hand (fast); these tests hold it to the
// shape of real deliveries and to JSON's escaping rules.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "sim/backends/workflow_job_payload.hpp"
#include "sim/runtime/simulated_runtime.hpp"
#include "tests/test_paths.hpp"

using namespace scaleup;
using namespace scaleup::sim;

namespace {

// An event views the strings it is written from; these outlive every test's events.
const std::vector<std::string> kLabels{"self-hosted", "linux"};
const std::vector<std::string> kOddLabels{"tab\there", "new\nline", "caf\xc3\xa9"};

WorkflowJobEvent queued_event() {
    WorkflowJobEvent e;
    e.action = "queued";
    e.job_id = 9'007'199'254'740'993;  // above 2^53: must survive as an integer
    e.run_id = 77;
    e.owner = "acme";
    e.owner_id = 1001;
    e.repo = "app";
    e.repository_id = 501;
    e.labels = kLabels;
    e.status = "queued";
    e.created_at = kSimulationEpoch + seconds(61);
    e.installation_id = 51'000'001;
    return e;
}

std::set<std::string> keys_of(const nlohmann::json& object) {
    std::set<std::string> keys;
    for (const auto& [key, value] : object.items())
        keys.insert(key);
    return keys;
}

}  // namespace

TEST_CASE("a queued payload carries the event's fields, runner fields null", "[sim-payload]") {
    const auto body = nlohmann::json::parse(workflow_job_payload(queued_event()));
    CHECK(body["action"] == "queued");
    const auto& job = body["workflow_job"];
    CHECK(job["id"].get<std::int64_t>() == 9'007'199'254'740'993);
    CHECK(job["run_id"] == 77);
    CHECK(job["labels"] == nlohmann::json::array({"self-hosted", "linux"}));
    CHECK(job["status"] == "queued");
    CHECK(job["conclusion"].is_null());
    CHECK(job["created_at"] == "2026-01-01T00:01:01Z");
    CHECK(job["started_at"].is_null());
    CHECK(job["runner_id"].is_null());
    CHECK(job["runner_name"].is_null());
    CHECK(body["repository"]["full_name"] == "acme/app");
    CHECK(body["repository"]["owner"]["login"] == "acme");
    CHECK(body["repository"]["owner"]["type"] == "Organization");
    CHECK(body["organization"]["login"] == "acme");
    CHECK(body["installation"]["id"] == 51'000'001);
}

TEST_CASE("a completed payload names its runner and conclusion, a user has no organization",
          "[sim-payload]") {
    auto e = queued_event();
    e.action = "completed";
    e.status = "completed";
    e.conclusion = "success";
    e.started_at = e.created_at + seconds(30);
    e.completed_at = e.created_at + minutes(5);
    e.runner_id = 42;
    e.runner_name = "i-0abc";
    e.owner_is_organization = false;
    const auto body = nlohmann::json::parse(workflow_job_payload(e));
    CHECK(body["workflow_job"]["conclusion"] == "success");
    CHECK(body["workflow_job"]["runner_id"] == 42);
    CHECK(body["workflow_job"]["runner_name"] == "i-0abc");
    CHECK(body["workflow_job"]["completed_at"] == "2026-01-01T00:06:01Z");
    CHECK(body["repository"]["owner"]["type"] == "User");
    CHECK_FALSE(body.contains("organization"));
}

TEST_CASE("names from a scenario are escaped as JSON strings", "[sim-payload]") {
    auto e = queued_event();
    e.owner = "we\"ird\\org";
    e.labels = kOddLabels;
    const auto body = nlohmann::json::parse(workflow_job_payload(e));
    CHECK(body["repository"]["owner"]["login"] == "we\"ird\\org");
    CHECK(body["repository"]["full_name"] == "we\"ird\\org/app");
    CHECK(body["workflow_job"]["labels"] ==
          nlohmann::json::array({"tab\there", "new\nline", "caf\xc3\xa9"}));

    e.runner_id = 12;
    e.runner_name = "runner \"one\"";
    CHECK(nlohmann::json::parse(workflow_job_payload(e))["workflow_job"]["runner_name"] ==
          "runner \"one\"");
}

TEST_CASE("a body longer than the room its writer makes first is written whole", "[sim-payload]") {
    // The writer reserves about a kilobyte for the job's part; labels may be far longer.
    const std::vector<std::string> long_labels{std::string(5000, 'L'), "x\"y",
                                               std::string(3000, 'M')};
    auto e = queued_event();
    e.labels = long_labels;
    const auto body = nlohmann::json::parse(workflow_job_payload(e));
    CHECK(body["workflow_job"]["labels"] ==
          nlohmann::json::array({long_labels[0], long_labels[1], long_labels[2]}));
    CHECK(body["installation"]["id"] == 51'000'001);
}

TEST_CASE("the payload's keys are GitHub's: top-level order and a subset of a real delivery's",
          "[sim-payload]") {
    const auto ours = nlohmann::ordered_json::parse(workflow_job_payload(queued_event()));
    std::vector<std::string> order;
    for (const auto& [key, value] : ours.items())
        order.push_back(key);
    CHECK(order == std::vector<std::string>{"action", "workflow_job", "repository", "organization",
                                            "sender", "installation"});

    std::ifstream file(scaleup::testing::shared_testdata("github/workflow_job-examples.json"));
    if (!file) {
        WARN("skipped: the shared workflow_job examples are not next to the repository");
        return;
    }
    const auto examples = nlohmann::json::parse(file);
    std::set<std::string> real_job_keys;
    for (const auto& example : examples) {
        const auto keys = keys_of(example["workflow_job"]);
        real_job_keys.insert(keys.begin(), keys.end());
    }
    for (const auto& key : keys_of(nlohmann::json::parse(ours.dump())["workflow_job"]))
        CHECK(real_job_keys.count(key) == 1);
}

TEST_CASE("a payload writer's kept repository parts give the bytes of a fresh write",
          "[workflow-job-payload]") {
    WorkflowJobPayloadWriter writer;
    WorkflowJobEvent other_repo = queued_event();
    other_repo.repo = "web";
    other_repo.repository_id = 502;
    WorkflowJobEvent user_account = queued_event();
    user_account.owner = "octo\"cat";
    user_account.owner_is_organization = false;
    WorkflowJobEvent later = queued_event();
    later.action = "completed";
    later.job_id += 1;
    for (const auto& event : {queued_event(), other_repo, user_account, later, other_repo}) {
        CHECK(writer.write(event) == workflow_job_payload(event));
    }
    CHECK(writer.write(user_account) != writer.write(queued_event()));
}

TEST_CASE("a payload's URLs are escaped as a whole, the repository's part kept once",
          "[workflow-job-payload]") {
    WorkflowJobEvent e = queued_event();
    e.owner = "we\"ird\\own\x01er";
    e.action = "completed";
    e.status = "completed";
    e.conclusion = "success";
    e.started_at = e.created_at + seconds(5);
    e.completed_at = e.created_at + seconds(3605);
    e.runner_id = 1316;
    e.runner_name = "scaleup-i-013c";
    WorkflowJobPayloadWriter writer;
    (void)writer.write(queued_event());
    const auto body = nlohmann::json::parse(writer.write(e));
    const std::string repo = "https://api.github.com/repos/we\"ird\\own\x01er/app";
    const auto& job = body["workflow_job"];
    CHECK(job["run_url"] == repo + "/actions/runs/77");
    CHECK(job["url"] == repo + "/actions/jobs/9007199254740993");
    CHECK(job["check_run_url"] == repo + "/check-runs/9007199254740993");
    CHECK(job["html_url"] ==
          "https://github.com/we\"ird\\own\x01er/app/actions/runs/77/job/9007199254740993");
    CHECK(job["created_at"] == "2026-01-01T00:01:01Z");
    CHECK(job["completed_at"] == "2026-01-01T01:01:06Z");
    CHECK(body["repository"]["url"] == repo);
}
