#include "sim/backends/workflow_job_payload.hpp"

#include <iterator>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "core/common/json_cursor.hpp"

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
using Out = std::string;

void put_string(Out& out, std::string_view text) {
    append_json_string(out, text);  // the core's escaping: the intake reads what this writes
}

void put_account(Out& out, std::string_view login, std::int64_t id, bool organization) {
    auto it = std::back_inserter(out);
    fmt::format_to(it, FMT_COMPILE("{{\"login\":"));
    put_string(out, login);
    fmt::format_to(it, FMT_COMPILE(",\"id\":{},\"node_id\":\"MDEyOk9yZ2FuaXphdGlvbj{}\",\"url\":"),
                   id, id);
    put_string(out, fmt::format(FMT_COMPILE("https://api.github.com/users/{}"), login));
    fmt::format_to(it, FMT_COMPILE(",\"html_url\":"));
    put_string(out, fmt::format(FMT_COMPILE("https://github.com/{}"), login));
    fmt::format_to(it, FMT_COMPILE(",\"type\":\"{}\",\"site_admin\":false}}"),
                   organization ? "Organization" : "User");
}

void put_text(Out& out, std::string_view text) {
    out.append(text);
}

void put_number(Out& out, std::int64_t n) {
    const fmt::format_int digits(n);
    out.append(digits.data(), digits.size());
}

// "YYYY-MM-DDTHH:MM:SSZ" written digit by digit (three per body).
void put_iso8601(Out& out, Instant t) {
    char text[32];
    const std::size_t size = format_iso8601_to(t, text);
    out.append(text, size);
}

void put_time_or_null(Out& out, const std::optional<Instant>& t) {
    if (!t) {
        put_text(out, "null");
        return;
    }
    out.push_back('"');
    put_iso8601(out, *t);
    out.push_back('"');
}

// A URL below a repository's: `prefix` is the repository's URL already escaped and opened with
// its quote (escaping the pieces one by one equals escaping the whole: the rest is fixed words
// and numbers).
void put_url(Out& out, const std::string& prefix, std::string_view path, std::int64_t id) {
    put_text(out, prefix);
    put_text(out, path);
    put_number(out, id);
    out.push_back('"');
}

void put_workflow_job(Out& out, const WorkflowJobEvent& e, const RepositoryUrls& urls) {
    put_text(out, "{\"id\":");
    put_number(out, e.job_id);
    put_text(out, ",\"run_id\":");
    put_number(out, e.run_id);
    put_text(out, ",\"workflow_name\":\"CI\",\"head_branch\":\"main\",\"run_url\":");
    put_url(out, urls.api, "/actions/runs/", e.run_id);
    put_text(out, ",\"run_attempt\":1,\"node_id\":\"CR_kwDO");
    put_number(out, e.job_id);
    fmt::format_to(std::back_inserter(out), FMT_COMPILE("\",\"head_sha\":\"{:040x}\",\"url\":"),
                   static_cast<std::uint64_t>(e.run_id));
    put_url(out, urls.api, "/actions/jobs/", e.job_id);
    put_text(out, ",\"html_url\":");
    put_text(out, urls.html);
    put_text(out, "/actions/runs/");
    put_number(out, e.run_id);
    put_url(out, "", "/job/", e.job_id);
    put_text(out, ",\"status\":");
    put_string(out, e.status);
    put_text(out, ",\"conclusion\":");
    if (e.conclusion.empty())
        put_text(out, "null");
    else
        put_string(out, e.conclusion);
    put_text(out, ",\"created_at\":");
    put_time_or_null(out, e.created_at);
    put_text(out, ",\"started_at\":");
    put_time_or_null(out, e.started_at);
    put_text(out, ",\"completed_at\":");
    put_time_or_null(out, e.completed_at);
    put_text(out, ",\"name\":\"build\",\"steps\":[],\"check_run_url\":");
    put_url(out, urls.api, "/check-runs/", e.job_id);
    put_text(out, ",\"labels\":[");
    for (std::size_t i = 0; i < e.labels.size(); ++i) {
        if (i > 0)
            out.push_back(',');
        put_string(out, e.labels[i]);
    }
    put_text(out, "],\"runner_id\":");
    if (e.runner_id != 0) {
        put_number(out, e.runner_id);
        put_text(out, ",\"runner_name\":");
        put_string(out, e.runner_name);
        put_text(out, ",\"runner_group_id\":1,\"runner_group_name\":\"Default\"}");
    } else {
        put_text(out,
                 "null,\"runner_name\":null,\"runner_group_id\":null,"
                 "\"runner_group_name\":null}");
    }
}

void put_repository(Out& out, const WorkflowJobEvent& e) {
    auto it = std::back_inserter(out);
    fmt::format_to(it, FMT_COMPILE("{{\"id\":{},\"node_id\":\"R_kgDO{}\",\"name\":"),
                   e.repository_id, e.repository_id);
    put_string(out, e.repo);
    fmt::format_to(it, FMT_COMPILE(",\"full_name\":"));
    put_string(out, fmt::format(FMT_COMPILE("{}/{}"), e.owner, e.repo));
    fmt::format_to(it, FMT_COMPILE(",\"private\":true,\"owner\":"));
    put_account(out, e.owner, e.owner_id, e.owner_is_organization);
    fmt::format_to(it, FMT_COMPILE(",\"html_url\":"));
    put_string(out, fmt::format(FMT_COMPILE("https://github.com/{}/{}"), e.owner, e.repo));
    fmt::format_to(it, FMT_COMPILE(",\"url\":"));
    put_string(out,
               fmt::format(FMT_COMPILE("https://api.github.com/repos/{}/{}"), e.owner, e.repo));
    out.push_back('}');
}

RepositoryText repository_text_of(const WorkflowJobEvent& e) {
    RepositoryText text;
    Out out;
    put_string(out,
               fmt::format(FMT_COMPILE("https://api.github.com/repos/{}/{}"), e.owner, e.repo));
    text.urls.api.assign(out, 0, out.size() - 1);  // without the closing quote
    out.clear();
    put_string(out, fmt::format(FMT_COMPILE("https://github.com/{}/{}"), e.owner, e.repo));
    text.urls.html.assign(out, 0, out.size() - 1);
    out.clear();
    auto it = std::back_inserter(out);
    fmt::format_to(it, FMT_COMPILE(",\"repository\":"));
    put_repository(out, e);
    if (e.owner_is_organization) {
        fmt::format_to(it, FMT_COMPILE(",\"organization\":"));
        put_account(out, e.owner, e.owner_id, true);
    }
    fmt::format_to(it, FMT_COMPILE(",\"sender\":"));
    put_account(out, "octocat", 583231, false);
    text.unchanging = std::move(out);
    return text;
}

}  // namespace

std::size_t format_iso8601_to(Instant t, char* out) {
    const std::int64_t total = unix_seconds(t);
    const std::int64_t days = (total >= 0 ? total : total - 86399) / 86400;
    const std::int64_t in_day = total - days * 86400;
    const CivilDate date = civil_from_days(days);
    if (date.year < 0 || date.year > 9999) {
        const auto end =
            fmt::format_to(out, FMT_COMPILE("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z"), date.year,
                           date.month, date.day, in_day / 3600, in_day % 3600 / 60, in_day % 60);
        return static_cast<std::size_t>(end - out);
    }
    const auto two = [&out](std::int64_t n, std::size_t at) {
        out[at] = static_cast<char>('0' + n / 10);
        out[at + 1] = static_cast<char>('0' + n % 10);
    };
    two(date.year / 100, 0);
    two(date.year % 100, 2);
    out[4] = '-';
    two(date.month, 5);
    out[7] = '-';
    two(date.day, 8);
    out[10] = 'T';
    two(in_day / 3600, 11);
    out[13] = ':';
    two(in_day % 3600 / 60, 14);
    out[16] = ':';
    two(in_day % 60, 17);
    out[19] = 'Z';
    return 20;
}

std::string format_iso8601(Instant t) {
    char text[32];
    return std::string(text, format_iso8601_to(t, text));
}

std::string workflow_job_payload(const WorkflowJobEvent& e) {
    WorkflowJobPayloadWriter writer;
    return writer.write(e);
}

std::string WorkflowJobPayloadWriter::write(const WorkflowJobEvent& e) {
    // GitHub's order: action, workflow_job, repository, organization, sender, installation.
    const RepositoryText& repository = repository_text(e);
    Out out;
    out.reserve(repository.unchanging.size() + 1024);  // the job's part is under 1 KB
    put_text(out, "{\"action\":");
    put_string(out, e.action);
    put_text(out, ",\"workflow_job\":");
    put_workflow_job(out, e, repository.urls);
    put_text(out, repository.unchanging);
    put_text(out, ",\"installation\":{\"id\":");
    put_number(out, e.installation_id);
    put_text(out, ",\"node_id\":\"MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u");
    put_number(out, e.installation_id);
    put_text(out, "\"}}");
    return out;
}

const RepositoryText& WorkflowJobPayloadWriter::repository_text(const WorkflowJobEvent& e) {
    const RepositoryKeyView key{e.owner, e.repo, e.owner_id, e.repository_id,
                                e.owner_is_organization};
    const auto found = repositories_.find(key);
    if (found != repositories_.end())
        return found->second;
    RepositoryKey stored{std::string(e.owner), std::string(e.repo), e.owner_id, e.repository_id,
                         e.owner_is_organization};
    return repositories_.emplace(std::move(stored), repository_text_of(e)).first->second;
}

}  // namespace scaleup::sim
