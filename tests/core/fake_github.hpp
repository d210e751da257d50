// FakeGitHub: a scriptable in-test GitHubPort for unit tests of the core.
//
// Each method answers from a per-method script of results (consumed in order; when the script is
// empty it answers with a default success), after `latency` on the runtime's clock, and records
// every call. Unit tests use it to put the core in exact situations; the full simulated GitHub with
// real semantics lives in sim/ (issue 5).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/ports/github.hpp"
#include "core/runtime/runtime.hpp"

namespace scaleup::testing {

class FakeGitHub final : public GitHubPort {
  public:
    explicit FakeGitHub(Runtime& rt) : rt_(rt) {}

    struct MintCall {
        std::int64_t installation_id;
        AppJwtClaims claims;
        Instant at;
    };
    struct JitCall {
        std::string token;
        JitConfigRequest request;
        Instant at;
    };
    struct JobCall {
        std::string token;
        std::int64_t job_id;
        Instant at;
    };

    Duration latency = milliseconds(50);
    Duration token_lifetime = hours(1);
    std::int64_t resolved_installation_id = 42;  // what find_installation answers by default

    std::deque<Result<InstallationToken>> mint_script;
    std::deque<Result<std::int64_t>> find_script;
    std::deque<Result<JobStatus>> job_script;
    std::deque<Result<JitConfig>> jit_script;

    std::vector<MintCall> mints;
    std::vector<RunnerOwner> finds;
    std::vector<JobCall> job_calls;
    std::vector<JitCall> jit_calls;

    Task<Result<InstallationToken>> create_installation_token(std::int64_t installation_id,
                                                              AppJwtClaims claims) override {
        mints.push_back({installation_id, claims, rt_.now()});
        co_await rt_.sleep(latency);
        if (!mint_script.empty())
            co_return take(mint_script);
        co_return InstallationToken{fmt::format("ghs_{}_{}", installation_id, mints.size()),
                                    rt_.now() + token_lifetime};
    }

    Task<Result<std::int64_t>> find_installation(RunnerOwner owner, AppJwtClaims) override {
        finds.push_back(owner);
        co_await rt_.sleep(latency);
        if (!find_script.empty())
            co_return take(find_script);
        co_return resolved_installation_id;
    }

    Task<Result<JobStatus>> get_job_status(std::string token, std::string, std::string,
                                           std::int64_t job_id) override {
        job_calls.push_back({token, job_id, rt_.now()});
        co_await rt_.sleep(latency);
        if (!job_script.empty())
            co_return take(job_script);
        co_return JobStatus::queued;
    }

    /// What the x-ratelimit headers of every answer say; nullopt: this GitHub sends none.
    std::optional<RateBudget> budget_headers;
    std::optional<RateBudget> core_rate_budget(const std::string&) const override {
        return job_calls.empty() ? std::nullopt : budget_headers;  // known once answered
    }

    Task<Result<JitConfig>> generate_jit_config(std::string token,
                                                JitConfigRequest request) override {
        jit_calls.push_back({token, request, rt_.now()});
        co_await rt_.sleep(latency);
        if (!jit_script.empty())
            co_return take(jit_script);
        co_return JitConfig{static_cast<std::int64_t>(jit_calls.size()),
                            "jit:" + request.runner_name};
    }

    // Issue 4's calls: answered from plain lists the tests fill in.
    std::vector<QueuedJob> queued_jobs;
    std::vector<RunnerInfo> runners;
    std::vector<std::int64_t> deleted_runners;
    std::vector<HookDelivery> hook_deliveries;  // newest first, as GitHub lists them
    int hook_page_size = 100;
    std::vector<std::int64_t> redelivered;
    std::vector<Instant> redelivered_at;  // when each redelivery was asked for
    std::deque<ServiceError> queued_jobs_failures;
    std::deque<ServiceError> runners_failures;
    std::deque<ServiceError> hook_list_failures;
    std::deque<ServiceError> redeliver_failures;

    Task<Result<std::vector<QueuedJob>>> list_queued_jobs(std::string, RunnerOwner owner) override {
        co_await rt_.sleep(latency);
        if (!queued_jobs_failures.empty())
            co_return take(queued_jobs_failures);
        std::vector<QueuedJob> out;
        for (const auto& job : queued_jobs) {
            if (job.owner == owner.owner && (owner.repo.empty() || job.repo == owner.repo)) {
                out.push_back(job);
            }
        }
        co_return out;
    }
    Task<Result<std::vector<RunnerInfo>>> list_runners(std::string, RunnerOwner) override {
        co_await rt_.sleep(latency);
        if (!runners_failures.empty())
            co_return take(runners_failures);
        co_return runners;
    }
    std::deque<ServiceError> delete_runner_failures;
    Task<Status> delete_runner(std::string, RunnerOwner, std::int64_t runner_id) override {
        co_await rt_.sleep(latency);
        if (!delete_runner_failures.empty())
            co_return take(delete_runner_failures);
        deleted_runners.push_back(runner_id);
        std::erase_if(runners, [&](const RunnerInfo& r) { return r.id == runner_id; });
        co_return ok_status();
    }
    Task<Result<HookDeliveryPage>> list_hook_deliveries(AppJwtClaims, std::string cursor) override {
        co_await rt_.sleep(latency);
        if (!hook_list_failures.empty())
            co_return take(hook_list_failures);
        const std::size_t start = cursor.empty() ? 0 : std::stoul(cursor);
        HookDeliveryPage page;
        for (std::size_t i = start;
             i < hook_deliveries.size() &&
             page.deliveries.size() < static_cast<std::size_t>(hook_page_size);
             ++i) {
            page.deliveries.push_back(hook_deliveries[i]);
        }
        const std::size_t next = start + page.deliveries.size();
        if (next < hook_deliveries.size())
            page.next_cursor = std::to_string(next);
        co_return page;
    }
    Task<Status> redeliver_hook_delivery(AppJwtClaims, std::int64_t delivery_id) override {
        redelivered_at.push_back(rt_.now());
        co_await rt_.sleep(latency);
        if (!redeliver_failures.empty())
            co_return take(redeliver_failures);
        redelivered.push_back(delivery_id);
        co_return ok_status();
    }

  private:
    template <typename T>
    static T take(std::deque<T>& script) {
        T front = std::move(script.front());
        script.pop_front();
        return front;
    }
    Runtime& rt_;
};

inline ServiceError github_error(ErrorKind kind, std::string code, std::string message = "",
                                 std::optional<Instant> retry_at = {}) {
    return make_error(kind, "github", std::move(code), std::move(message), retry_at);
}

}  // namespace scaleup::testing
