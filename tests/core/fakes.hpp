// In-test port implementations for the core's unit tests: small, scriptable and observable.
//
// Each fake answers after `latency` on the simulated clock, records what it was asked, and takes a
// per-method script of failures (consumed in order; an empty script means success). They model just
// enough to test the consumer's rules; the full simulated services with their real semantics are
// in sim/.
#pragma once

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/ports/config_store.hpp"
#include "core/ports/fleet.hpp"
#include "core/ports/ledger.hpp"
#include "core/ports/queue.hpp"
#include "core/runtime/runtime.hpp"
#include "tests/core/fake_github.hpp"

namespace scaleup::testing {

/// Takes the next scripted error, if any.
inline std::optional<ServiceError> next_failure(std::deque<ServiceError>& script) {
    if (script.empty())
        return std::nullopt;
    ServiceError e = std::move(script.front());
    script.pop_front();
    return e;
}

inline ServiceError aws_error(ErrorKind kind, std::string service, std::string code) {
    return make_error(kind, std::move(service), code, code + " (scripted)");
}

class FakeQueue final : public QueuePort {
  public:
    explicit FakeQueue(Runtime& rt) : rt_(rt) {}
    Duration latency = milliseconds(10);
    std::deque<ServiceError> dead_letter_failures;
    std::deque<ServiceError> visibility_failures;

    struct DeadLetter {
        std::string body;
        std::string reason;
    };
    std::vector<DeadLetter> dead_letters;
    std::map<std::string, Duration> visibility_changes;  // receipt handle -> last timeout
    std::vector<std::string> sent;
    std::vector<std::string> deleted;

    Task<Result<std::vector<QueueMessage>>> receive(int, Duration) override {
        co_await rt_.sleep(latency);
        co_return std::vector<QueueMessage>{};
    }
    Task<Status> delete_message(std::string receipt_handle) override {
        co_await rt_.sleep(latency);
        deleted.push_back(receipt_handle);
        co_return ok_status();
    }
    Task<Status> change_visibility(std::string receipt_handle, Duration timeout) override {
        co_await rt_.sleep(latency);
        if (auto e = next_failure(visibility_failures))
            co_return *e;
        visibility_changes[receipt_handle] = timeout;
        co_return ok_status();
    }
    std::deque<ServiceError> send_failures;

    Task<Status> send(std::string body, Duration) override {
        co_await rt_.sleep(latency);
        if (auto e = next_failure(send_failures))
            co_return *e;
        sent.push_back(body);
        co_return ok_status();
    }
    Task<Status> send_to_dead_letter(std::string body, std::string reason) override {
        co_await rt_.sleep(latency);
        if (auto e = next_failure(dead_letter_failures))
            co_return *e;
        dead_letters.push_back({body, reason});
        co_return ok_status();
    }

  private:
    Runtime& rt_;
};

/// CreateFleet with a capacity: launches min(count, capacity) instances and reports the rest
/// with `shortfall_code` in Errors (one entry per override, as EC2 does, not per instance).
class FakeFleet final : public FleetPort {
  public:
    explicit FakeFleet(Runtime& rt) : rt_(rt) {}
    Duration latency = milliseconds(100);
    int capacity = 1'000'000;
    std::string shortfall_code = "InsufficientInstanceCapacity";
    std::deque<ServiceError> create_failures;
    int lost_create_responses = 0;  // the next N CreateFleets launch, then lose their response
    std::deque<ServiceError> terminate_failures;

    std::vector<LaunchRequest> requests;
    std::vector<std::string> launched;
    std::set<std::string> terminated;
    std::map<std::string, InstanceInfo> info;  // tags and launch time, as describe shows them
    std::deque<ServiceError> describe_failures;

    /// An instance launched at `at` with `tags`, as if by an earlier CreateFleet.
    void add_instance(const std::string& id, InstanceTags tags, Instant at) {
        launched.push_back(id);
        info[id] = InstanceInfo{id, InstanceState::running, at,
                                std::make_shared<const InstanceTags>(std::move(tags))};
    }

    std::set<std::string> live() const {
        std::set<std::string> out;
        for (const auto& id : launched) {
            if (terminated.count(id) == 0)
                out.insert(id);
        }
        return out;
    }

    Task<Result<LaunchResult>> create_fleet(LaunchRequest request) override {
        requests.push_back(request);
        co_await rt_.sleep(latency);
        // A lost response comes first: the scripted failures then fall on the retries.
        if (lost_create_responses == 0) {
            if (auto e = next_failure(create_failures))
                co_return *e;
        }
        LaunchResult result;
        const int n = std::min(request.count, capacity);
        capacity -= n;
        for (int i = 0; i < n; ++i) {
            const auto id = fmt::format("i-{:08d}", ++next_instance_);
            launched.push_back(id);
            info[id] = InstanceInfo{id, InstanceState::running, rt_.now(), request.tags};
            result.instance_ids.push_back(id);
        }
        if (n < request.count) {
            result.errors.push_back({shortfall_code, "scripted shortfall"});
            result.errors.push_back({shortfall_code, "scripted shortfall (second override)"});
        }
        if (lost_create_responses > 0) {
            --lost_create_responses;
            co_return make_error(ErrorKind::unknown_outcome, "ec2", "RequestTimeout",
                                 "the response was lost after the instances launched");
        }
        co_return result;
    }
    Task<Result<std::vector<InstanceInfo>>> describe_instances(InstanceTags tags) override {
        co_await rt_.sleep(latency);
        if (auto e = next_failure(describe_failures))
            co_return *e;
        std::vector<InstanceInfo> out;
        for (const auto& id : live()) {
            const auto it = info.find(id);
            InstanceInfo instance =
                it == info.end() ? InstanceInfo{id, InstanceState::running, {}, {}} : it->second;
            if (carries_tags(instance.tags.get(), tags))
                out.push_back(std::move(instance));
        }
        co_return out;
    }
    Task<Status> terminate_instances(std::vector<std::string> ids) override {
        co_await rt_.sleep(latency);
        if (auto e = next_failure(terminate_failures))
            co_return *e;
        for (const auto& id : ids)
            terminated.insert(id);
        co_return ok_status();
    }
    Task<Status> tag_instance(std::string, std::string, std::string) override {
        co_await rt_.sleep(latency);
        co_return ok_status();
    }

  private:
    Runtime& rt_;
    int next_instance_ = 0;
};

class FakeConfigStore final : public ConfigStorePort {
  public:
    explicit FakeConfigStore(Runtime& rt) : rt_(rt) {}
    Duration latency = milliseconds(20);
    std::deque<ServiceError> put_failures;
    std::map<std::string, std::string> configs;

    Task<Status> put_runner_config(std::string instance_id, std::string config) override {
        co_await rt_.sleep(latency);
        if (auto e = next_failure(put_failures))
            co_return *e;
        configs[instance_id] = config;
        co_return ok_status();
    }

  private:
    Runtime& rt_;
};

/// The ledger's contract in memory: atomic reservations against a maximum, idempotent by key.
class FakeLedger final : public LedgerPort {
  public:
    explicit FakeLedger(Runtime& rt) : rt_(rt) {}
    Duration latency = milliseconds(5);
    std::deque<ServiceError> reserve_failures;
    std::deque<ServiceError> commit_failures;
    std::deque<ServiceError> mark_failures;
    std::deque<ServiceError> lookup_failures;

    struct Reservation {
        int granted = 0;
        bool committed = false;
        Instant lease_until{};
    };
    std::map<std::string, Reservation> reservations;
    std::set<std::string> held;                      // instances holding a slot
    std::map<std::int64_t, std::string> configured;  // job -> instance
    int max_live_seen = 0;

    int live_slots() const {
        int live = static_cast<int>(held.size());
        for (const auto& [id, r] : reservations) {
            if (!r.committed && r.lease_until > rt_.now())
                live += r.granted;
        }
        return live;
    }

    Task<Result<int>> reserve_slots(std::string id, int wanted, int maximum,
                                    Instant lease_until) override {
        co_await rt_.sleep(latency);
        if (auto e = next_failure(reserve_failures))
            co_return *e;
        if (auto it = reservations.find(id); it != reservations.end())
            co_return it->second.granted;
        const int granted = std::max(0, std::min(wanted, maximum - live_slots()));
        reservations[id] = Reservation{granted, false, lease_until};
        max_live_seen = std::max(max_live_seen, live_slots());
        co_return granted;
    }
    Task<Status> commit_launch(std::string id, std::vector<LaunchedInstance> instances) override {
        co_await rt_.sleep(latency);
        if (auto e = next_failure(commit_failures))
            co_return *e;
        auto& r = reservations[id];
        if (!r.committed) {
            r.committed = true;
            for (const auto& i : instances) {
                held.insert(i.instance_id.str());
                launched_for[i.instance_id.str()] = i.job_id;
            }
        }
        co_return ok_status();
    }
    std::vector<std::string> released;  // every release_instance call that succeeded

    Task<Status> release_instance(Identifier instance_id) override {
        co_await rt_.sleep(latency);
        if (auto e = next_failure(release_failures))
            co_return *e;
        released.push_back(instance_id.str());
        held.erase(instance_id.str());
        co_return ok_status();
    }
    Task<Status> mark_configured(std::int64_t job_id, Identifier instance_id) override {
        co_await rt_.sleep(latency);
        if (auto e = next_failure(mark_failures))
            co_return *e;
        configured.emplace(job_id, instance_id.str());
        co_return ok_status();
    }
    Task<Result<std::optional<std::string>>> configured_instance_for_job(
        std::int64_t job_id) override {
        co_await rt_.sleep(latency);
        if (auto e = next_failure(lookup_failures))
            co_return *e;
        const auto it = configured.find(job_id);
        if (it == configured.end())
            co_return std::optional<std::string>{};
        co_return std::optional<std::string>{it->second};
    }

    std::deque<ServiceError> record_failures;
    std::deque<ServiceError> pending_failures;
    std::deque<ServiceError> mark_sent_failures;
    std::map<std::string, OutboxEntry> deliveries;  // by GUID
    std::set<std::string> outbox_sent;
    std::map<std::int64_t, Instant> enqueued;
    std::map<std::string, std::int64_t> launched_for;  // instance -> job

    Task<Result<bool>> record_delivery(Identifier guid, std::int64_t job_id, std::string body,
                                       Instant received_at) override {
        co_await rt_.sleep(latency);
        if (auto e = next_failure(record_failures))
            co_return *e;
        co_return deliveries.emplace(guid, OutboxEntry{guid, job_id, body, received_at}).second;
    }
    Task<Result<std::vector<OutboxEntry>>> pending_outbox(int limit) override {
        co_await rt_.sleep(latency);
        if (auto e = next_failure(pending_failures))
            co_return *e;
        std::vector<OutboxEntry> out;
        for (const auto& [guid, entry] : deliveries) {
            if (outbox_sent.count(guid) == 0)
                out.push_back(entry);
        }
        std::stable_sort(out.begin(), out.end(), [](const OutboxEntry& a, const OutboxEntry& b) {
            return a.received_at < b.received_at;
        });
        if (static_cast<int>(out.size()) > limit)
            out.resize(static_cast<std::size_t>(limit));
        co_return out;
    }
    Task<Status> mark_outbox_sent(Identifier guid) override {
        co_await rt_.sleep(latency);
        if (auto e = next_failure(mark_sent_failures))
            co_return *e;
        outbox_sent.insert(guid.str());
        co_return ok_status();
    }
    Task<Status> note_enqueued(std::int64_t job_id, Instant at) override {
        co_await rt_.sleep(latency);
        enqueued[job_id] = at;
        co_return ok_status();
    }
    Task<Result<std::optional<Instant>>> last_enqueued(std::int64_t job_id) override {
        co_await rt_.sleep(latency);
        const auto it = enqueued.find(job_id);
        if (it == enqueued.end())
            co_return std::optional<Instant>{};
        co_return std::optional<Instant>{it->second};
    }
    std::deque<ServiceError> held_failures;
    std::deque<ServiceError> release_failures;

    Task<Result<std::vector<LaunchedInstance>>> held_instances() override {
        co_await rt_.sleep(latency);
        if (auto e = next_failure(held_failures))
            co_return *e;
        std::vector<LaunchedInstance> out;
        for (const auto& id : held) {
            const auto it = launched_for.find(id);
            out.push_back({id, it == launched_for.end() ? 0 : it->second});
        }
        co_return out;
    }

  private:
    Runtime& rt_;
};

}  // namespace scaleup::testing
