#include "sim/backends/workflow_job_payload.hpp"

#include <fmt/format.h>

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

// The body is written directly rather than through a JSON document: the simulation sends three
// webhooks per job, and building and dumping a document for each was a fifth of a run's time.
// Strings that come from a scenario (owner, repo, labels, runner name) are escaped; the rest are
// numbers and fixed words.
using Out = fmt::memory_buffer;

void put_string(Out& out, std::string_view text) {
    out.push_back('"');
    std::size_t plain_from = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte >= 0x20 && byte != '"' && byte != '\\')
            continue;
        out.append(text.substr(plain_from, i - plain_from));
        plain_from = i + 1;
        if (byte >= 0x20) {
            out.push_back('\\');
            out.push_back(text[i]);
        } else {
            fmt::format_to(fmt::appender(out), "\\u{:04x}", byte);
        }
    }
    out.append(text.substr(plain_from));
    out.push_back('"');
}

void put_time_or_null(Out& out, const std::optional<Instant>& t) {
    if (t)
        fmt::format_to(fmt::appender(out), "\"{}\"", format_iso8601(*t));
    else
        fmt::format_to(fmt::appender(out), "null");
}

void put_account(Out& out, const std::string& login, std::int64_t id, bool organization) {
    auto it = fmt::appender(out);
    fmt::format_to(it, "{{\"login\":");
    put_string(out, login);
    fmt::format_to(it, ",\"id\":{},\"node_id\":\"MDEyOk9yZ2FuaXphdGlvbj{}\",\"url\":", id, id);
    put_string(out, "https://api.github.com/users/" + login);
    fmt::format_to(it, ",\"html_url\":");
    put_string(out, "https://github.com/" + login);
    fmt::format_to(it, ",\"type\":\"{}\",\"site_admin\":false}}",
                   organization ? "Organization" : "User");
}

void put_workflow_job(Out& out, const WorkflowJobEvent& e) {
    auto it = fmt::appender(out);
    const std::string repo_api = fmt::format("https://api.github.com/repos/{}/{}", e.owner, e.repo);
    fmt::format_to(it,
                   "{{\"id\":{},\"run_id\":{},\"workflow_name\":\"CI\",\"head_branch\":\"main\",",
                   e.job_id, e.run_id);
    fmt::format_to(it, "\"run_url\":");
    put_string(out, fmt::format("{}/actions/runs/{}", repo_api, e.run_id));
    fmt::format_to(it,
                   ",\"run_attempt\":1,\"node_id\":\"CR_kwDO{}\",\"head_sha\":\"{:040x}\",\"url\":",
                   e.job_id, static_cast<std::uint64_t>(e.run_id));
    put_string(out, fmt::format("{}/actions/jobs/{}", repo_api, e.job_id));
    fmt::format_to(it, ",\"html_url\":");
    put_string(out, fmt::format("https://github.com/{}/{}/actions/runs/{}/job/{}", e.owner, e.repo,
                                e.run_id, e.job_id));
    fmt::format_to(it, ",\"status\":");
    put_string(out, e.status);
    fmt::format_to(it, ",\"conclusion\":");
    if (e.conclusion.empty())
        fmt::format_to(it, "null");
    else
        put_string(out, e.conclusion);
    fmt::format_to(it, ",\"created_at\":\"{}\",\"started_at\":", format_iso8601(e.created_at));
    put_time_or_null(out, e.started_at);
    fmt::format_to(it, ",\"completed_at\":");
    put_time_or_null(out, e.completed_at);
    fmt::format_to(it, ",\"name\":\"build\",\"steps\":[],\"check_run_url\":");
    put_string(out, fmt::format("{}/check-runs/{}", repo_api, e.job_id));
    fmt::format_to(it, ",\"labels\":[");
    for (std::size_t i = 0; i < e.labels.size(); ++i) {
        if (i > 0)
            out.push_back(',');
        put_string(out, e.labels[i]);
    }
    fmt::format_to(it, "],\"runner_id\":");
    if (e.runner_id != 0) {
        fmt::format_to(it, "{},\"runner_name\":", e.runner_id);
        put_string(out, e.runner_name);
        fmt::format_to(it, ",\"runner_group_id\":1,\"runner_group_name\":\"Default\"}}");
    } else {
        fmt::format_to(it,
                       "null,\"runner_name\":null,\"runner_group_id\":null,"
                       "\"runner_group_name\":null}}");
    }
}

void put_repository(Out& out, const WorkflowJobEvent& e) {
    auto it = fmt::appender(out);
    fmt::format_to(it, "{{\"id\":{},\"node_id\":\"R_kgDO{}\",\"name\":", e.repository_id,
                   e.repository_id);
    put_string(out, e.repo);
    fmt::format_to(it, ",\"full_name\":");
    put_string(out, e.owner + "/" + e.repo);
    fmt::format_to(it, ",\"private\":true,\"owner\":");
    put_account(out, e.owner, e.owner_id, e.owner_is_organization);
    fmt::format_to(it, ",\"html_url\":");
    put_string(out, fmt::format("https://github.com/{}/{}", e.owner, e.repo));
    fmt::format_to(it, ",\"url\":");
    put_string(out, fmt::format("https://api.github.com/repos/{}/{}", e.owner, e.repo));
    out.push_back('}');
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
    WorkflowJobPayloadWriter writer;
    return writer.write(e);
}

std::string WorkflowJobPayloadWriter::write(const WorkflowJobEvent& e) {
    // GitHub's order: action, workflow_job, repository, organization, sender, installation.
    Out out;
    auto it = fmt::appender(out);
    fmt::format_to(it, "{{\"action\":");
    put_string(out, e.action);
    fmt::format_to(it, ",\"workflow_job\":");
    put_workflow_job(out, e);
    const std::string& unchanging = repository_part(e);
    out.append(unchanging.data(), unchanging.data() + unchanging.size());
    fmt::format_to(it,
                   ",\"installation\":{{\"id\":{},"
                   "\"node_id\":\"MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{}\"}}}}",
                   e.installation_id, e.installation_id);
    return fmt::to_string(out);
}

const std::string& WorkflowJobPayloadWriter::repository_part(const WorkflowJobEvent& e) {
    RepositoryKey key{e.owner, e.repo, e.owner_id, e.repository_id, e.owner_is_organization};
    const auto found = repository_parts_.find(key);
    if (found != repository_parts_.end())
        return found->second;
    Out out;
    auto it = fmt::appender(out);
    fmt::format_to(it, ",\"repository\":");
    put_repository(out, e);
    if (e.owner_is_organization) {
        fmt::format_to(it, ",\"organization\":");
        put_account(out, e.owner, e.owner_id, true);
    }
    fmt::format_to(it, ",\"sender\":");
    put_account(out, "octocat", 583231, false);
    return repository_parts_.emplace(std::move(key), fmt::to_string(out)).first->second;
}

}  // namespace scaleup::sim
