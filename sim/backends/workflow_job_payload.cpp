#include "sim/backends/workflow_job_payload.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace scaleup::sim {

namespace {

// Howard Hinnant's days_from_civil inverse: the proleptic Gregorian date of a day count.
struct CivilDate {
    std::int64_t year;
    unsigned month;
    unsigned day;
};
CivilDate civil_from_days(std::int64_t days) {
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto doe = static_cast<unsigned>(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned day = doy - (153 * mp + 2) / 5 + 1;
    const unsigned month = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

nlohmann::json time_or_null(const std::optional<Instant>& t) {
    return t ? nlohmann::json(format_iso8601(*t)) : nlohmann::json(nullptr);
}

nlohmann::json account(const std::string& login, std::int64_t id, bool organization) {
    return {{"login", login},
            {"id", id},
            {"node_id", fmt::format("MDEyOk9yZ2FuaXphdGlvbj{}", id)},
            {"url", "https://api.github.com/users/" + login},
            {"html_url", "https://github.com/" + login},
            {"type", organization ? "Organization" : "User"},
            {"site_admin", false}};
}

nlohmann::json workflow_job(const WorkflowJobEvent& e) {
    const std::string repo_api = fmt::format("https://api.github.com/repos/{}/{}", e.owner, e.repo);
    nlohmann::json job = {
        {"id", e.job_id},
        {"run_id", e.run_id},
        {"run_url", fmt::format("{}/actions/runs/{}", repo_api, e.run_id)},
        {"run_attempt", 1},
        {"node_id", fmt::format("CR_kwDO{}", e.job_id)},
        {"head_sha", fmt::format("{:040x}", static_cast<std::uint64_t>(e.run_id))},
        {"url", fmt::format("{}/actions/jobs/{}", repo_api, e.job_id)},
        {"html_url", fmt::format("https://github.com/{}/{}/actions/runs/{}/job/{}", e.owner, e.repo,
                                 e.run_id, e.job_id)},
        {"check_run_url", fmt::format("{}/check-runs/{}", repo_api, e.job_id)},
        {"status", e.status},
        {"conclusion",
         e.conclusion.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.conclusion)},
        {"created_at", format_iso8601(e.created_at)},
        {"started_at", time_or_null(e.started_at)},
        {"completed_at", time_or_null(e.completed_at)},
        {"name", "build"},
        {"steps", nlohmann::json::array()},
        {"labels", e.labels},
        {"workflow_name", "CI"},
        {"head_branch", "main"},
    };
    if (e.runner_id != 0) {
        job["runner_id"] = e.runner_id;
        job["runner_name"] = e.runner_name;
        job["runner_group_id"] = 1;
        job["runner_group_name"] = "Default";
    } else {
        job["runner_id"] = nullptr;
        job["runner_name"] = nullptr;
        job["runner_group_id"] = nullptr;
        job["runner_group_name"] = nullptr;
    }
    return job;
}

}  // namespace

std::string format_iso8601(Instant t) {
    const std::int64_t total = unix_seconds(t);
    const std::int64_t days = (total >= 0 ? total : total - 86399) / 86400;
    const std::int64_t in_day = total - days * 86400;
    const CivilDate date = civil_from_days(days);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", date.year, date.month, date.day,
                       in_day / 3600, in_day % 3600 / 60, in_day % 60);
}

std::string workflow_job_payload(const WorkflowJobEvent& e) {
    const nlohmann::json owner = account(e.owner, e.owner_id, e.owner_is_organization);
    nlohmann::json body = {
        {"action", e.action},
        {"workflow_job", workflow_job(e)},
        {"repository",
         {{"id", e.repository_id},
          {"node_id", fmt::format("R_kgDO{}", e.repository_id)},
          {"name", e.repo},
          {"full_name", e.owner + "/" + e.repo},
          {"private", true},
          {"owner", owner},
          {"html_url", fmt::format("https://github.com/{}/{}", e.owner, e.repo)},
          {"url", fmt::format("https://api.github.com/repos/{}/{}", e.owner, e.repo)}}},
        {"sender", account("octocat", 583231, false)},
        {"installation",
         {{"id", e.installation_id},
          {"node_id", fmt::format("MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{}", e.installation_id)}}},
    };
    if (e.owner_is_organization)
        body["organization"] = owner;
    return body.dump();
}

}  // namespace scaleup::sim
