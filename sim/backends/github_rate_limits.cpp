#include "sim/backends/github_rate_limits.hpp"

#include <algorithm>
#include <string>

#include <fmt/format.h>

namespace scaleup::sim {

namespace {
constexpr const char* kSecondaryMessage =
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";

ServiceError github_403(ErrorKind kind, std::string message, std::optional<Instant> retry_at) {
    return make_error(kind, "github", "403", std::move(message), retry_at);
}
}  // namespace

const char* to_string(GitHubEndpoint endpoint) {
    switch (endpoint) {
        case GitHubEndpoint::create_installation_token:
            return "create_installation_token";
        case GitHubEndpoint::find_installation:
            return "find_installation";
        case GitHubEndpoint::get_job:
            return "get_job";
        case GitHubEndpoint::generate_jit_config:
            return "generate_jit_config";
        case GitHubEndpoint::list_queued_jobs:
            return "list_queued_jobs";
        case GitHubEndpoint::list_runners:
            return "list_runners";
        case GitHubEndpoint::delete_runner:
            return "delete_runner";
        case GitHubEndpoint::list_hook_deliveries:
            return "list_hook_deliveries";
        case GitHubEndpoint::redeliver_hook_delivery:
            return "redeliver_hook_delivery";
    }
    return "unknown";
}

bool is_write(GitHubEndpoint endpoint) {
    switch (endpoint) {
        case GitHubEndpoint::create_installation_token:
        case GitHubEndpoint::generate_jit_config:
        case GitHubEndpoint::delete_runner:
        case GitHubEndpoint::redeliver_hook_delivery:
            return true;
        default:
            return false;
    }
}

const char* to_string(RateBucket bucket) {
    return bucket == RateBucket::core ? "core" : "actions_runner_registration";
}

RateBucket bucket_of(GitHubEndpoint endpoint) {
    return endpoint == GitHubEndpoint::generate_jit_config ? RateBucket::actions_runner_registration
                                                           : RateBucket::core;
}

void GitHubRateLimits::request_done(std::int64_t subject) {
    const auto it = in_flight_.find(subject);
    if (it != in_flight_.end() && --it->second == 0)
        in_flight_.erase(it);
}

int GitHubRateLimits::in_flight(std::int64_t subject) const {
    const auto it = in_flight_.find(subject);
    return it == in_flight_.end() ? 0 : it->second;
}

std::int64_t GitHubRateLimits::limit_of(RateBucket bucket) const {
    return bucket == RateBucket::core ? options_.core_per_hour
                                      : options_.runner_registration_per_hour;
}

GitHubRateLimits::HourWindow& GitHubRateLimits::hour_window(std::int64_t subject, RateBucket bucket,
                                                            Instant now) {
    HourWindow& window = hours_[{subject, bucket}];
    if (window.reset <= now) {
        // A new hour starts with this request; the reset is in whole epoch seconds, as the header.
        window.reset = instant_from_unix_seconds(unix_seconds(now) + 3600);
        window.used = 0;
    }
    return window;
}

GitHubRateLimits::MinuteWindow& GitHubRateLimits::minute_window(std::int64_t subject,
                                                                GitHubEndpoint endpoint,
                                                                Instant now) {
    MinuteWindow& window = minutes_[{subject, endpoint}];
    if (window.end <= now) {
        window.end = now + seconds(60);
        window.points = 0;
    }
    return window;
}

// `retry-after` is whole seconds, at least 1, until the limit frees; sometimes GitHub omits it.
ServiceError GitHubRateLimits::secondary(Instant now, Instant free_at, Random& random) const {
    const std::int64_t wait_ns = (free_at - now).count();
    const std::int64_t retry_after =
        std::max<std::int64_t>(1, (wait_ns + 999'999'999) / 1'000'000'000);
    std::optional<Instant> retry_at;
    if (!random.chance(options_.retry_after_missing))
        retry_at = now + seconds(retry_after);
    return github_403(ErrorKind::secondary_rate_limited, kSecondaryMessage, retry_at);
}

std::optional<ServiceError> GitHubRateLimits::charge(std::int64_t subject, GitHubEndpoint endpoint,
                                                     Instant now, Random& random) {
    const RateBucket bucket = bucket_of(endpoint);
    HourWindow& hour = hour_window(subject, bucket, now);
    if (hour.used >= limit_of(bucket)) {
        const std::string message =
            subject == kAppSubject
                ? std::string("API rate limit exceeded for the App.")
                : fmt::format("API rate limit exceeded for installation ID {}.", subject);
        return github_403(ErrorKind::rate_limited, message, hour.reset);
    }
    const auto subject_penalty = subject_penalty_.find(subject);
    if (subject_penalty != subject_penalty_.end() && now < subject_penalty->second)
        return secondary(now, subject_penalty->second, random);
    const auto endpoint_penalty = endpoint_penalty_.find({subject, endpoint});
    if (endpoint_penalty != endpoint_penalty_.end() && now < endpoint_penalty->second)
        return secondary(now, endpoint_penalty->second, random);
    if (in_flight(subject) > options_.max_concurrent) {
        ServiceError error = secondary(now, now + options_.concurrency_retry_after, random);
        subject_penalty_[subject] = error.retry_at.value_or(now + options_.concurrency_retry_after);
        return error;
    }
    MinuteWindow& minute = minute_window(subject, endpoint, now);
    const std::int64_t points = is_write(endpoint) ? 5 : 1;
    if (minute.points + points > options_.points_per_minute) {
        ServiceError error = secondary(now, minute.end, random);
        endpoint_penalty_[{subject, endpoint}] = error.retry_at.value_or(minute.end);
        return error;
    }
    minute.points += points;
    ++hour.used;
    return std::nullopt;
}

void GitHubRateLimits::consume(std::int64_t subject, RateBucket bucket, std::int64_t requests,
                               Instant now) {
    hour_window(subject, bucket, now).used += requests;
}

RateLimitStatus GitHubRateLimits::status(std::int64_t subject, RateBucket bucket,
                                         Instant now) const {
    const std::int64_t limit = limit_of(bucket);
    const auto it = hours_.find({subject, bucket});
    if (it == hours_.end() || it->second.reset <= now)
        return {limit, limit, 0, instant_from_unix_seconds(unix_seconds(now) + 3600)};
    const std::int64_t used = it->second.used;
    return {limit, std::max<std::int64_t>(0, limit - used), used, it->second.reset};
}

}  // namespace scaleup::sim
