// read_workflow_job: the fields of a signed `workflow_job` payload that intake acts on.
//
// A real delivery is about 8 KB, mostly repository and sender details, and intake reads eight
// members of it. The payload is read with a JsonCursor: the whole text is checked as JSON, the
// members intake reads are kept, and nothing else is built. A member of the wrong kind is kept as
// its error, and errors are reported once the whole text is checked, in the order read_job_fields
// names them: the same verdict and words a parsed document gave.
#include <algorithm>
#include <limits>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/common/json_cursor.hpp"
#include "core/common/json_reader.hpp"
#include "core/common/json_scan.hpp"
#include "core/intake/webhook_intake.hpp"

namespace scaleup {

namespace {

constexpr std::int64_t kMaxId = std::numeric_limits<std::int64_t>::max();
using Kind = JsonCursor::Kind;

/// A member as read: absent (missing or null), its value, or the error reading it gave.
template <class T>
struct Member {
    std::optional<T> value;
    std::optional<InputError> error;

    bool present() const { return value.has_value() || error.has_value(); }
    /// The value; throws the kept error, or "required field is missing".
    const T& get(const char* pointer) const {
        if (error)
            throw *error;
        if (!value)
            throw InputError(pointer, "required field is missing");
        return *value;
    }
};

/// An object member: whether it was present and an object (its members are read separately).
using ObjectMember = Member<bool>;

/// Reads the value at the cursor into `member` when it has kind `kind`; else keeps the error and
/// skips the value. A null leaves the member absent. Syntax errors are thrown at once.
template <class T, class Read>
void take(JsonCursor& in, Member<T>& member, const char* pointer, Kind kind, const char* expected,
          Read read) {
    member = {};
    if (in.take_null())
        return;
    const Kind found = in.peek();
    if (found != kind) {
        member.error = InputError(
            pointer, fmt::format("expected {}, found {}", expected, JsonCursor::name(found)));
        in.skip();
        return;
    }
    try {
        member.value = read();
    } catch (const InputError& e) {
        if (e.pointer().empty())
            throw;  // bad syntax: reported before any field
        member.error = e;
    }
}

void take_integer(JsonCursor& in, Member<std::int64_t>& member, const char* pointer,
                  std::int64_t min) {
    take(in, member, pointer, Kind::number, "an integer",
         [&] { return in.integer(pointer, min, kMaxId); });
}

void take_string(JsonCursor& in, Member<std::string>& member, const char* pointer) {
    take(in, member, pointer, Kind::string, "a string", [&] { return in.string(pointer); });
}

/// Labels: an array of strings; the first element of another kind is the error.
void take_labels(JsonCursor& in, Member<std::vector<std::string>>& member) {
    constexpr const char* kPointer = "/workflow_job/labels";
    take(in, member, kPointer, Kind::array, "an array of strings", [&] {
        std::vector<std::string> labels;
        std::optional<InputError> first_error;
        in.enter_array(kPointer);
        for (std::size_t i = 0; in.next_element(); ++i) {
            const Kind found = in.peek();
            if (found == Kind::string) {
                labels.push_back(in.string(kPointer));
                continue;
            }
            if (!first_error) {
                first_error =
                    InputError(fmt::format("{}/{}", kPointer, i),
                               fmt::format("expected a string, found {}", JsonCursor::name(found)));
            }
            in.skip();
        }
        if (first_error)
            throw *first_error;
        return labels;
    });
}

/// Enters the object at the cursor when it is one: true when its members follow.
bool take_object(JsonCursor& in, ObjectMember& member, const char* pointer) {
    bool entered = false;
    take(in, member, pointer, Kind::object, "an object", [&] {
        in.enter_object(pointer);
        entered = true;
        return true;
    });
    return entered;
}

/// The members of a queued payload that intake reads, keyed by where they sit.
struct QueuedPayload {
    Member<std::string> action;
    ObjectMember workflow_job;
    Member<std::int64_t> job_id;
    Member<std::int64_t> run_id;
    Member<std::vector<std::string>> labels;
    ObjectMember repository;
    Member<std::string> repo_name;
    ObjectMember owner;
    Member<std::string> owner_login;
    Member<std::string> owner_type;
    ObjectMember installation;
    Member<std::int64_t> installation_id;
};

void read_workflow_job_object(JsonCursor& in, QueuedPayload& p) {
    p.job_id = {};
    p.run_id = {};
    p.labels = {};
    std::string_view key;
    while (in.next_member(key)) {
        if (key == "id") {
            take_integer(in, p.job_id, "/workflow_job/id", 1);
        } else if (key == "run_id") {
            take_integer(in, p.run_id, "/workflow_job/run_id", 0);
        } else if (key == "labels") {
            take_labels(in, p.labels);
        } else {
            in.skip();
        }
    }
}

void read_owner_object(JsonCursor& in, QueuedPayload& p) {
    p.owner_login = {};
    p.owner_type = {};
    std::string_view key;
    while (in.next_member(key)) {
        if (key == "login") {
            take_string(in, p.owner_login, "/repository/owner/login");
        } else if (key == "type") {
            take_string(in, p.owner_type, "/repository/owner/type");
        } else {
            in.skip();
        }
    }
}

void read_repository_object(JsonCursor& in, QueuedPayload& p) {
    p.repo_name = {};
    p.owner = {};
    p.owner_login = {};
    p.owner_type = {};
    std::string_view key;
    while (in.next_member(key)) {
        if (key == "name") {
            take_string(in, p.repo_name, "/repository/name");
        } else if (key == "owner") {
            if (take_object(in, p.owner, "/repository/owner"))
                read_owner_object(in, p);
        } else {
            in.skip();
        }
    }
}

void read_installation_object(JsonCursor& in, QueuedPayload& p) {
    p.installation_id = {};
    std::string_view key;
    while (in.next_member(key)) {
        if (key == "id") {
            take_integer(in, p.installation_id, "/installation/id", 1);
        } else {
            in.skip();
        }
    }
}

/// Reads the whole text; throws InputError only for bad syntax or a root that is not an object.
QueuedPayload read_queued_payload(const std::string& body) {
    QueuedPayload p;
    JsonCursor in(body);
    in.enter_object("");
    std::string_view key;
    while (in.next_member(key)) {
        if (key == "action") {
            take_string(in, p.action, "/action");
        } else if (key == "workflow_job") {
            if (take_object(in, p.workflow_job, "/workflow_job"))
                read_workflow_job_object(in, p);
        } else if (key == "repository") {
            if (take_object(in, p.repository, "/repository"))
                read_repository_object(in, p);
        } else if (key == "installation") {
            if (take_object(in, p.installation, "/installation"))
                read_installation_object(in, p);
        } else {
            in.skip();
        }
    }
    in.expect_end();
    return p;
}

/// The fields of a queued job that become its message. Throws InputError naming the field.
void read_job_fields(const QueuedPayload& p, JobMessage& job) {
    (void)p.workflow_job.get("/workflow_job");
    (void)p.repository.get("/repository");
    (void)p.owner.get("/repository/owner");
    job.job_id = p.job_id.get("/workflow_job/id");
    job.run_id = p.run_id.get("/workflow_job/run_id");
    job.labels = p.labels.get("/workflow_job/labels");
    job.owner = p.owner_login.get("/repository/owner/login");
    job.repo = p.repo_name.get("/repository/name");
    job.owner_type = p.owner_type.get("/repository/owner/type");
    // The same rules JobMessage::parse applies: the consumer must never get a body it rejects.
    if (job.labels.empty())
        throw InputError("/workflow_job/labels", "a job has at least one label");
    if (job.owner.empty())
        throw InputError("/repository/owner/login", "must not be empty");
    if (job.repo.empty())
        throw InputError("/repository/name", "must not be empty");
    if (job.owner_type != "Organization" && job.owner_type != "User")
        throw InputError("/repository/owner/type", "expected \"Organization\" or \"User\"");
}

PayloadVerdict stop(PayloadVerdict verdict, IntakeOutcome outcome, std::string detail) {
    verdict.outcome = outcome;
    verdict.detail = std::move(detail);
    return verdict;
}

}  // namespace

PayloadVerdict read_workflow_job(const std::string& body, const std::vector<std::string>& pool) {
    PayloadVerdict verdict;
    // Two deliveries in three are transitions intake does not act on: read their action (GitHub
    // sends it first) and nothing else. A queued one, or anything the scan cannot read, is read
    // in full.
    if (const auto action = first_top_level_string(body, "action"); action && *action != "queued")
        return stop(std::move(verdict), IntakeOutcome::not_queued_action, "action=" + *action);
    try {
        const QueuedPayload payload = read_queued_payload(body);
        const std::string& action = payload.action.get("/action");
        if (action != "queued")
            return stop(std::move(verdict), IntakeOutcome::not_queued_action, "action=" + action);
        // A `queued` action may carry status "waiting" (an environment): it still needs a runner.
        read_job_fields(payload, verdict.job);
        if (!payload.installation.present()) {
            return stop(std::move(verdict), IntakeOutcome::missing_installation,
                        "no installation: not a GitHub App delivery");
        }
        (void)payload.installation.get("/installation");
        verdict.job.installation_id = payload.installation_id.get("/installation/id");
        if (!pool_serves(pool, verdict.job.labels)) {
            const std::string detail =
                fmt::format("labels [{}] not served by the pool [{}]",
                            fmt::join(verdict.job.labels, ","), fmt::join(pool, ","));
            return stop(std::move(verdict), IntakeOutcome::no_matching_pool, detail);
        }
        return verdict;
    } catch (const InputError& e) {
        // The root was not an object: bad syntax after it is the error to report.
        try {
            JsonCursor::check_syntax(body);
        } catch (const InputError& syntax) {
            return stop(std::move(verdict), IntakeOutcome::malformed_payload, syntax.what());
        }
        return stop(std::move(verdict), IntakeOutcome::malformed_payload, e.what());
    }
}

}  // namespace scaleup
