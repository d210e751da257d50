// Launching one group (same runner owner, same label set):
//
//   token -> reserve slots -> CreateFleet -> commit the launch -> per instance: JIT config, store
//   it, record it.
//
// The token comes first, so that nothing is launched that could not be configured. Slots are
// reserved in the ledger before CreateFleet, so the maximum holds across consumers. Of the
// instances CreateFleet returns, each is paired with one message. Exactly the messages left without
// an instance come back (or are dead-lettered for a non-retryable fleet error), never "the first N
// of the batch" (an upstream defect). An instance that cannot be configured is terminated at once
// and its slot released: no orphan is left for a later sweep.
#include <algorithm>
#include <string_view>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "core/common/retry.hpp"
#include "core/consumer/batch_handler.hpp"
#include "core/consumer/instance_tags.hpp"

namespace scaleup {

Task<void> BatchHandler::launch_group(Items& items, Members members, Instant until) {
    // Older messages first: a job deferred many times is not starved by newer ones.
    std::stable_sort(members.begin(), members.end(), [&](std::size_t a, std::size_t b) {
        return items[a].message.receive_count > items[b].message.receive_count;
    });
    const JobMessage& first = *items[members.front()].job;
    const RunnerOwner owner = runner_owner(first);

    auto token = co_await tokens_.token_for(first.installation_id, owner, until);
    if (!token.ok()) {
        for (const auto i : members)
            fail_from_error(items[i], token.error(), MessageOutcome::github_error_retry);
        co_return;
    }
    const std::int64_t installation_id = token.value().installation_id;

    const std::string reservation = new_reservation_id();
    if (!co_await reserve_capacity(items, members, reservation, until))
        co_return;

    const LaunchRequest request{
        reservation, static_cast<int>(members.size()),
        std::make_shared<const InstanceTags>(InstanceTags{
            {instance_tags::kOwner, owner.key()},
            {instance_tags::kLabels, fmt::format(FMT_COMPILE("{}"), fmt::join(pool_labels_, ","))},
            {instance_tags::kReservation, reservation}})};
    auto launch = co_await with_retries<LaunchResult>(
        rt_, aws_retry_rules(config_), until, [&] { return ports_.fleet.create_fleet(request); });
    if (!launch.ok() && launch.error().kind == ErrorKind::unknown_outcome) {
        // The instances of a lost response carry the reservation's tag: find them and use them.
        if (auto found = co_await find_launched(reservation, until); found.ok())
            launch = std::move(found);
    }
    if (!launch.ok()) {
        // A failed call launched nothing, unless its outcome is unknown: then the reservation is
        // kept until its lease expires, so an instance that did start is still counted.
        if (launch.error().kind != ErrorKind::unknown_outcome) {
            (void)co_await with_retries<Done>(rt_, aws_retry_rules(config_), until, [&] {
                return ports_.ledger.commit_launch(reservation, {});
            });
        }
        SCALEUP_PROBE(rt_, fleet_failed);
        for (const auto i : members) {
            fail_from_error(items[i], launch.error(), MessageOutcome::fleet_capacity_retry);
            if (items[i].outcome == MessageOutcome::fleet_capacity_retry)
                items[i].delay = backoff_delay(items[i]);
        }
        co_return;
    }

    const auto& ids = launch.value().instance_ids;
    const std::size_t served = std::min(ids.size(), members.size());
    std::vector<LaunchedInstance> launched;
    for (std::size_t k = 0; k < served; ++k)
        launched.push_back({ids[k], items[members[k]].job->job_id});
    auto committed = co_await with_retries<Done>(rt_, aws_retry_rules(config_), until, [&] {
        return ports_.ledger.commit_launch(reservation, launched);
    });
    if (!committed.ok()) {
        for (std::size_t k = 0; k < ids.size(); ++k)
            co_await discard_instance(ids[k], until + config_.deadline_margin);
        for (const auto i : members)
            fail_from_error(items[i], committed.error(), MessageOutcome::ledger_error_retry);
        co_return;
    }
    // More instances than asked would be an EC2 bug; never leave one running unaccounted.
    for (std::size_t k = served; k < ids.size(); ++k)
        co_await discard_instance(ids[k], until + config_.deadline_margin);

    classify_shortfall(
        items, Members(members.begin() + static_cast<std::ptrdiff_t>(served), members.end()),
        launch.value());
    for (std::size_t k = 0; k < served; ++k) {
        co_await configure_instance(items[members[k]], ids[k], installation_id, owner, until);
    }
}

Task<Result<LaunchResult>> BatchHandler::find_launched(const std::string& reservation,
                                                       Instant until) {
    const InstanceTags tags{{instance_tags::kReservation, reservation}};
    auto described = co_await with_retries<std::vector<InstanceInfo>>(
        rt_, aws_retry_rules(config_), until,
        [&] { return ports_.fleet.describe_instances(tags); });
    if (!described.ok())
        co_return described.error();
    // None found proves nothing (a listing may lag a launch): the outcome stays unknown.
    if (described.value().empty()) {
        co_return make_error(ErrorKind::unknown_outcome, "ec2", "NotFound",
                             "no instance carries the reservation's tag yet");
    }
    SCALEUP_PROBE(rt_, fleet_outcome_recovered);
    LaunchResult result;
    for (const auto& instance : described.value())
        result.instance_ids.push_back(instance.id.str());
    std::sort(result.instance_ids.begin(), result.instance_ids.end());
    if (rt_.tracing()) {
        rt_.tracef("consumer", "launch_found", FMT_COMPILE("reservation={} instances={}"),
                   reservation, fmt::join(result.instance_ids, ","));
    }
    co_return result;
}

Task<bool> BatchHandler::reserve_capacity(Items& items, Members& members,
                                          const std::string& reservation, Instant until) {
    const int wanted = static_cast<int>(members.size());
    const int maximum = config_.max_runners;
    const Instant lease_until = rt_.now() + config_.reservation_lease;
    auto granted = co_await with_retries<int>(rt_, aws_retry_rules(config_), until, [&] {
        return ports_.ledger.reserve_slots(reservation, wanted, maximum, lease_until);
    });
    if (!granted.ok()) {
        for (const auto i : members)
            fail_from_error(items[i], granted.error(), MessageOutcome::ledger_error_retry);
        co_return false;
    }
    const auto keep = static_cast<std::size_t>(std::clamp(granted.value(), 0, wanted));
    for (std::size_t k = keep; k < members.size(); ++k) {
        Item& item = items[members[k]];
        item.outcome = MessageOutcome::capacity_deferred;
        item.detail = fmt::format(FMT_COMPILE("maximum of {} runners reached"), maximum);
        item.delay = backoff_delay(item);
    }
    if (keep < members.size() && pressure_ != nullptr)
        pressure_->note_deferral(rt_.now());
    members.resize(keep);
    if (rt_.tracing()) {
        rt_.tracef("consumer", "reserved", FMT_COMPILE("reservation={} wanted={} granted={}"),
                   reservation, wanted, keep);
    }
    co_return keep > 0;
}

namespace {
/// EC2 has no instances to give (as opposed to throttling or a fault): the codes of an exhausted
/// pool or a spot limit.
bool is_capacity_shortfall(std::string_view code) {
    return code == "InsufficientInstanceCapacity" || code == "UnfulfillableCapacity" ||
           code == "MaxSpotInstanceCountExceeded";
}
}  // namespace

void BatchHandler::classify_shortfall(Items& items, const Members& unserved,
                                      const LaunchResult& launch) {
    if (unserved.empty())
        return;
    SCALEUP_PROBE(rt_, fleet_partial);
    // Retryable when any reported error is a known capacity/throttling code, or EC2 gave no reason.
    const auto& retryable = config_.fleet_retryable_errors;
    bool any_retryable = launch.errors.empty();
    bool out_of_capacity = false;
    std::string reasons;
    for (const auto& error : launch.errors) {
        any_retryable |=
            std::find(retryable.begin(), retryable.end(), error.code) != retryable.end();
        out_of_capacity |= is_capacity_shortfall(error.code);
        reasons += fmt::format(FMT_COMPILE("{}{}: {}"), reasons.empty() ? "" : "; ", error.code,
                               error.message);
    }
    // EC2's pool is the limit now, as the ledger's maximum is for a deferral: idle runners hold
    // instances a waiting job could use (core/common/capacity_pressure.hpp).
    if (out_of_capacity && pressure_ != nullptr)
        pressure_->note_deferral(rt_.now());
    for (const auto i : unserved) {
        Item& item = items[i];
        item.detail = "CreateFleet fell short: " + reasons;
        if (any_retryable) {
            item.outcome = MessageOutcome::fleet_capacity_retry;
            item.delay = backoff_delay(item);
        } else {
            item.outcome = MessageOutcome::dead_lettered_permanent_error;
            item.dead_letter_reason = item.detail;
        }
    }
}

Task<void> BatchHandler::configure_instance(Item& item, std::string instance_id,
                                            std::int64_t installation_id, RunnerOwner owner,
                                            Instant until) {
    if (rt_.now() >= until) {
        co_await discard_instance(instance_id, until + config_.deadline_margin);
        item.outcome = MessageOutcome::deadline_retry;
        item.detail = "the handler's deadline came before the instance was configured";
        co_return;
    }
    JitConfigRequest request{owner, config_.runner_name_prefix + instance_id,
                             config_.runner_group_id, config_.runner_labels};
    auto jit = co_await github_.generate_jit_config(installation_id, request, until);
    if (!jit.ok()) {
        co_await discard_instance(instance_id, until + config_.deadline_margin);
        fail_from_error(item, jit.error(), MessageOutcome::config_failed_retry);
        co_return;
    }
    const std::string config = jit.value().encoded_jit_config;
    auto stored = co_await with_retries<Done>(rt_, aws_retry_rules(config_), until, [&] {
        return ports_.config_store.put_runner_config(instance_id, config);
    });
    if (!stored.ok()) {
        co_await discard_instance(instance_id, until + config_.deadline_margin);
        fail_from_error(item, stored.error(), MessageOutcome::config_failed_retry);
        if (item.outcome == MessageOutcome::dead_lettered_permanent_error) {
            item.outcome =
                MessageOutcome::config_failed_retry;  // SSM errors are never the job's fault
            item.dead_letter_reason.reset();
        }
        co_return;
    }
    const std::int64_t job_id = item.job->job_id;
    auto recorded = co_await with_retries<Done>(rt_, aws_retry_rules(config_), until, [&] {
        return ports_.ledger.mark_configured(job_id, instance_id);
    });
    if (!recorded.ok()) {
        // The runner exists and will take a job. Returning the message risks a second runner for
        // this job later, never a lost one.
        item.outcome = MessageOutcome::ledger_error_retry;
        item.detail = recorded.error().describe();
        co_return;
    }
    item.outcome = MessageOutcome::runner_launched;
    item.detail = instance_id;
}

Task<void> BatchHandler::discard_instance(const std::string& instance_id, Instant until) {
    const std::string id = instance_id;
    SCALEUP_PROBE(rt_, config_failed_instance_discarded);
    auto terminated = co_await with_retries<Done>(rt_, aws_retry_rules(config_), until, [&] {
        return ports_.fleet.terminate_instances({id});
    });
    // Release the slot only once the instance is gone; if terminate failed, scale-down's orphan
    // sweep terminates it (it never gets a config) and releases the slot then.
    if (terminated.ok()) {
        (void)co_await with_retries<Done>(rt_, aws_retry_rules(config_), until,
                                          [&] { return ports_.ledger.release_instance(id); });
    }
    if (rt_.tracing()) {
        rt_.tracef("consumer", "discard_instance", FMT_COMPILE("instance={} terminated={}"), id,
                   terminated.ok());
    }
}

}  // namespace scaleup
