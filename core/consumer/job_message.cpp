#include "core/consumer/job_message.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <optional>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "core/common/json_cursor.hpp"
#include "core/common/json_reader.hpp"

namespace scaleup {

namespace {
constexpr std::int64_t kMaxId = std::numeric_limits<std::int64_t>::max();

// Read in one pass with a JsonCursor (a message is parsed on every receive, and by every checker);
// a null member counts as absent and a repeated one as its last value, as in a parsed document.
JobMessage read_message(const std::string& body) {
    JsonCursor in(body);
    JobMessage m;
    bool has_job_id = false;
    bool has_owner = false;
    bool has_repo = false;
    bool has_labels = false;
    std::optional<std::string> unknown;
    in.enter_object("");
    std::string_view key;
    while (in.next_member(key)) {
        const bool present = !in.take_null();
        if (key == "job_id") {
            has_job_id = present;
            if (present)
                m.job_id = in.integer("/job_id", 1, kMaxId);
        } else if (key == "run_id") {
            m.run_id = present ? in.integer("/run_id", 0, kMaxId) : 0;
        } else if (key == "owner") {
            has_owner = present;
            if (present)
                m.owner = in.string("/owner");
        } else if (key == "repo") {
            has_repo = present;
            if (present)
                m.repo = in.string("/repo");
        } else if (key == "owner_type") {
            m.owner_type = present ? in.string("/owner_type") : "Organization";
        } else if (key == "labels") {
            has_labels = present;
            if (present)
                m.labels = in.strings("/labels");
        } else if (key == "installation_id") {
            m.installation_id = present ? in.integer("/installation_id", 0, kMaxId) : 0;
        } else if (key == "delivery_guid") {
            m.delivery_guid = present ? in.string("/delivery_guid") : "";
        } else if (key == "attempt") {
            m.attempt = present ? static_cast<int>(in.integer("/attempt", 0, 1000)) : 0;
        } else {
            if (!unknown)
                unknown = JsonCursor::pointer_to("", key);  // reported after the fields it misses
            if (present)
                in.skip();
        }
    }
    in.expect_end();
    if (!has_job_id)
        throw InputError("/job_id", "required field is missing");
    if (!has_owner)
        throw InputError("/owner", "required field is missing");
    if (!has_repo)
        throw InputError("/repo", "required field is missing");
    if (m.owner.empty())
        throw InputError("/owner", "must not be empty");
    if (m.repo.empty())
        throw InputError("/repo", "must not be empty");
    if (m.owner_type != "Organization" && m.owner_type != "User") {
        throw InputError("/owner_type", "expected \"Organization\" or \"User\"");
    }
    if (!has_labels)
        throw InputError("/labels", "required field is missing");
    if (m.labels.empty())
        throw InputError("/labels", "a job has at least one label");
    if (unknown)
        throw InputError(*unknown, "unknown field (misspelt?)");
    return m;
}

}  // namespace

JobMessage JobMessage::parse(const std::string& body) {
    try {
        return read_message(body);
    } catch (const InputError&) {
        JsonCursor::check_syntax(body);  // bad syntax anywhere is the error to report
        throw;
    }
}

std::string JobMessage::to_json() const {
    // Written member by member, in the order (sorted keys) and with the escapes nlohmann's dump
    // used, so a body is the same bytes it always was.
    // Room for all of it at once (growing from empty took four allocations a body): about 190
    // bytes of names, numbers and punctuation besides the strings, which grow only if escaped.
    std::size_t size = 192 + delivery_guid.size() + owner.size() + owner_type.size() + repo.size();
    for (const auto& label : labels)
        size += label.size() + 3;
    std::string out;
    out.reserve(size);
    out += '{';
    if (attempt != 0)
        fmt::format_to(std::back_inserter(out), FMT_COMPILE("\"attempt\":{},"), attempt);
    if (!delivery_guid.empty()) {
        out += "\"delivery_guid\":";
        append_json_string(out, delivery_guid);
        out += ',';
    }
    fmt::format_to(std::back_inserter(out),
                   FMT_COMPILE("\"installation_id\":{},\"job_id\":{},\"labels\":["),
                   installation_id, job_id);
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i > 0)
            out += ',';
        append_json_string(out, labels[i]);
    }
    out += "],\"owner\":";
    append_json_string(out, owner);
    out += ",\"owner_type\":";
    append_json_string(out, owner_type);
    out += ",\"repo\":";
    append_json_string(out, repo);
    fmt::format_to(std::back_inserter(out), FMT_COMPILE(",\"run_id\":{}}}"), run_id);
    return out;
}

std::vector<std::string> normalise_labels(std::vector<std::string> labels) {
    // ASCII only, as std::tolower does in the "C" locale, but without asking the locale for every
    // character: labels are lowered for every message, webhook and reconciled job.
    const auto lower = [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    for (auto& label : labels)
        std::transform(label.begin(), label.end(), label.begin(), lower);
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
    return labels;
}

bool pool_serves(const std::vector<std::string>& pool_labels,
                 const std::vector<std::string>& job_labels) {
    const auto wanted = normalise_labels(job_labels);
    return std::includes(pool_labels.begin(), pool_labels.end(), wanted.begin(), wanted.end());
}

}  // namespace scaleup
