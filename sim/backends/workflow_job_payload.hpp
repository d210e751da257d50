// The body of a `workflow_job` webhook, shaped as GitHub sends it (service-semantics.md 1.4 and
// /work/shared/testdata/github/workflow_job-examples.json): action, workflow_job (64-bit id,
// run_id, labels, status, conclusion, timestamps, runner_* null while queued), repository (with
// owner.login and owner.type), organization for organization accounts, sender and installation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/runtime/time.hpp"

namespace scaleup::sim {

/// What one body says, as views of the records it is written from: the simulated GitHub writes a
/// body at every delivery attempt, and copying the job's strings into an event each time was
/// three allocations an attempt. The viewed strings must outlive the write.
struct WorkflowJobEvent {
    std::string_view action;  // queued, in_progress, completed
    std::int64_t job_id = 0;
    std::int64_t run_id = 0;
    std::string_view owner;
    std::int64_t owner_id = 0;
    bool owner_is_organization = true;
    std::string_view repo;
    std::int64_t repository_id = 0;
    std::span<const std::string> labels;
    std::string_view status;      // queued, in_progress, completed
    std::string_view conclusion;  // empty: null
    Instant created_at{};
    std::optional<Instant> started_at;
    std::optional<Instant> completed_at;
    std::int64_t runner_id = 0;  // 0: null (no runner yet)
    std::string_view runner_name;
    std::int64_t installation_id = 0;
};

/// A repository's URLs, JSON-escaped and opened with their quote but not closed: the per-job
/// URLs below them are these plus a path and a number.
struct RepositoryUrls {
    std::string api;   // "https://api.github.com/repos/{owner}/{repo}
    std::string html;  // "https://github.com/{owner}/{repo}
};

/// What a body holds of its repository: its URLs, and the unchanging part (the repository,
/// organization and sender objects, most of a body).
struct RepositoryText {
    RepositoryUrls urls;
    std::string unchanging;
};

/// The JSON body, compact, keys in a fixed order: the same event always gives the same bytes.
std::string workflow_job_payload(const WorkflowJobEvent& event);

/// Writes bodies as workflow_job_payload does, keeping each repository's unchanging part (the
/// repository, organization and sender objects, most of a body) once written: a simulated day
/// sends three webhooks per job from a few dozen repositories.
class WorkflowJobPayloadWriter {
  public:
    std::string write(const WorkflowJobEvent& event);

  private:
    using RepositoryKey = std::tuple<std::string, std::string, std::int64_t, std::int64_t, bool>;
    using RepositoryKeyView =
        std::tuple<std::string_view, std::string_view, std::int64_t, std::int64_t, bool>;
    // Orders keys by their views, so a write finds its repository by a view and builds no key
    // strings (comparing a tuple of strings with one of views directly is not portable).
    struct RepositoryKeyLess {
        using is_transparent = void;
        static RepositoryKeyView view(const RepositoryKey& k) {
            return {std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k), std::get<4>(k)};
        }
        static const RepositoryKeyView& view(const RepositoryKeyView& k) { return k; }
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            return view(a) < view(b);
        }
    };
    const RepositoryText& repository_text(const WorkflowJobEvent& event);

    std::map<RepositoryKey, RepositoryText, RepositoryKeyLess> repositories_;
};

/// "2026-01-01T00:00:00Z": UTC, whole seconds, as GitHub writes timestamps.
std::string format_iso8601(Instant t);
/// The same into `out` (room for 32 characters); returns its length.
std::size_t format_iso8601_to(Instant t, char* out);

}  // namespace scaleup::sim
