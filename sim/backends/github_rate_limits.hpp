// GitHubRateLimits: GitHub's primary and secondary REST rate limits, as the simulated GitHub
// applies them to each request (service-semantics.md 1.3).
//
// - Primary: per subject (an installation, or the App itself for JWT requests) and bucket, a fixed
//   budget per hour. The hour starts with the subject's first request in the bucket and resets one
//   hour later (`x-ratelimit-reset`, whole epoch seconds). Over the budget: 403
//   ErrorKind::rate_limited with `retry_at` = the reset. JIT configs count in the
//   `actions_runner_registration` bucket (10,000/h), everything else in `core` (5,000/h).
// - Secondary, concurrency: more than `max_concurrent` requests of one subject in flight at once.
// - Secondary, points: more than `points_per_minute` points per minute on one endpoint (GET 1
//   point, POST/DELETE 5), in a fixed minute that starts with the first request.
//   Both secondary limits answer 403 ErrorKind::secondary_rate_limited; `retry_at` comes from a
//   `retry-after` header that is sometimes missing (`retry_after_missing`). Stricter than GitHub
//   says it is: until that time every further request of the subject (concurrency) or endpoint
//   (points) is refused again, header or not, so a client that ignores the wait keeps failing.
// A refused request consumes nothing.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "core/common/result.hpp"
#include "core/runtime/random.hpp"
#include "core/runtime/time.hpp"

namespace scaleup::sim {

/// The REST operations the simulated GitHub serves.
enum class GitHubEndpoint {
    create_installation_token,  // POST /app/installations/{id}/access_tokens
    find_installation,          // GET /orgs/{org}/installation, /repos/{o}/{r}/installation
    get_job,                    // GET /repos/{o}/{r}/actions/jobs/{id}
    generate_jit_config,        // POST .../actions/runners/generate-jitconfig
    list_queued_jobs,           // GET .../actions/runs?status=queued, then each run's jobs
    list_runners,               // GET .../actions/runners
    delete_runner,              // DELETE .../actions/runners/{id}
    list_hook_deliveries,       // GET /app/hook/deliveries
    redeliver_hook_delivery,    // POST /app/hook/deliveries/{id}/attempts
};

const char* to_string(GitHubEndpoint endpoint);
/// POST/PATCH/PUT/DELETE: 5 secondary points instead of 1.
bool is_write(GitHubEndpoint endpoint);

enum class RateBucket { core, actions_runner_registration };
const char* to_string(RateBucket bucket);
RateBucket bucket_of(GitHubEndpoint endpoint);

/// The rate-limit subject of requests authenticated with the App's JWT rather than a token.
inline constexpr std::int64_t kAppSubject = 0;

struct GitHubRateLimitOptions {
    std::int64_t core_per_hour = 5000;
    std::int64_t runner_registration_per_hour = 10000;
    int max_concurrent = 100;
    std::int64_t points_per_minute = 900;
    /// How often a secondary limit comes without `retry-after` (GitHub: "often missing").
    Ratio retry_after_missing = Ratio::never();
    /// The `retry-after` of a concurrency refusal.
    Duration concurrency_retry_after = seconds(60);
};

/// What the `x-ratelimit-*` headers of a response would say.
struct RateLimitStatus {
    std::int64_t limit = 0;
    std::int64_t remaining = 0;
    std::int64_t used = 0;
    Instant reset{};  // x-ratelimit-reset
};

class GitHubRateLimits {
  public:
    explicit GitHubRateLimits(GitHubRateLimitOptions options) : options_(options) {}

    /// A request of `subject` reached GitHub / its answer reached the client: the span the
    /// concurrency limit counts.
    void request_sent(std::int64_t subject) { ++in_flight_[subject]; }
    void request_done(std::int64_t subject);

    /// Admits one request at `now`, charging the primary bucket and the endpoint's points, or
    /// says which limit refuses it (nothing charged then).
    std::optional<ServiceError> charge(std::int64_t subject, GitHubEndpoint endpoint, Instant now,
                                       Random& random);
    /// Counts `requests` more primary requests an operation made after it was admitted (the
    /// per-run job lists of list_queued_jobs). Never refuses.
    void consume(std::int64_t subject, RateBucket bucket, std::int64_t requests, Instant now);

    RateLimitStatus status(std::int64_t subject, RateBucket bucket, Instant now) const;
    int in_flight(std::int64_t subject) const;

  private:
    struct HourWindow {
        Instant reset{};
        std::int64_t used = 0;
    };
    struct MinuteWindow {
        Instant end{};
        std::int64_t points = 0;
    };
    using BucketKey = std::pair<std::int64_t, RateBucket>;
    using EndpointKey = std::pair<std::int64_t, GitHubEndpoint>;

    std::int64_t limit_of(RateBucket bucket) const;
    HourWindow& hour_window(std::int64_t subject, RateBucket bucket, Instant now);
    MinuteWindow& minute_window(std::int64_t subject, GitHubEndpoint endpoint, Instant now);
    ServiceError secondary(Instant now, Instant free_at, Random& random) const;

    GitHubRateLimitOptions options_;
    std::map<std::int64_t, int> in_flight_;
    std::map<BucketKey, HourWindow> hours_;
    std::map<EndpointKey, MinuteWindow> minutes_;
    std::map<std::int64_t, Instant> subject_penalty_;  // concurrency refusals
    std::map<EndpointKey, Instant> endpoint_penalty_;  // points refusals
};

}  // namespace scaleup::sim
