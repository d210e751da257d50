// with_retries: each try raced against the call timeout, retried by the rules, and an unknown
// outcome kept once a try may have acted.
#include <catch2/catch.hpp>

#include <optional>
#include <vector>

#include "core/common/retry.hpp"
#include "sim/runtime/simulated_runtime.hpp"

using namespace scaleup;

namespace test_retry {

/// A backend whose tries take the listed durations and answer the listed results, in order. A
/// try records when it started and when it answered, so a test sees an abandoned try finish.
struct ScriptedBackend {
    Runtime& rt;
    std::vector<Duration> takes;
    std::vector<Result<int>> answers;
    std::vector<Instant> started;
    std::vector<Instant> answered;

    Task<Result<int>> call() {
        const std::size_t index = started.size();
        started.push_back(rt.now());
        co_await rt.sleep(takes.at(index));
        answered.push_back(rt.now());
        co_return answers.at(index);
    }
};

RetryRules rules_with(int attempts) {
    RetryRules rules;
    rules.budget.attempts = attempts;
    rules.budget.base_backoff = seconds(1);
    rules.budget.max_backoff = seconds(1);
    rules.call_timeout = seconds(10);
    return rules;
}

/// Runs with_retries over `backend` to the end, the abandoned tries included.
std::optional<Result<int>> run_retries(sim::SimulatedRuntime& rt, ScriptedBackend& backend,
                                       RetryRules rules, Duration deadline_after) {
    std::optional<Result<int>> outcome;
    const Instant deadline = rt.now() + deadline_after;
    auto caller = [&]() -> Task<void> {
        outcome.emplace(
            co_await with_retries<int>(rt, rules, deadline, [&] { return backend.call(); }));
    };
    rt.spawn(caller());
    rt.run();
    return outcome;
}

ServiceError throttled() {
    return make_error(ErrorKind::throttled, "sqs", "ThrottlingException", "Rate exceeded");
}

}  // namespace test_retry

using namespace test_retry;

TEST_CASE("retry: a try that answers in time is the call's answer, tried once", "[retry]") {
    sim::SimulatedRuntime rt{1};
    ScriptedBackend backend{rt, {seconds(2)}, {Result<int>(7)}, {}, {}};
    const auto outcome = run_retries(rt, backend, rules_with(3), seconds(60));
    REQUIRE(outcome);
    REQUIRE(outcome->ok());
    CHECK(outcome->value() == 7);
    CHECK(backend.started.size() == 1);
}

TEST_CASE("retry: a try past the call timeout is abandoned, runs on, and the next try answers",
          "[retry]") {
    sim::SimulatedRuntime rt{1};
    const Instant start = rt.now();
    ScriptedBackend backend{
        rt, {seconds(25), seconds(1)}, {Result<int>(1), Result<int>(2)}, {}, {}};
    const auto outcome = run_retries(rt, backend, rules_with(3), seconds(120));
    REQUIRE(outcome);
    REQUIRE(outcome->ok());
    CHECK(outcome->value() == 2);  // the second try's answer; the first one's came too late
    REQUIRE(backend.started.size() == 2);
    CHECK(backend.started[1] - start >= seconds(10));  // retried only after the timeout
    CHECK(backend.started[1] - start <= seconds(11));  // ... and the 1 s backoff at most
    // The abandoned try still reached the far side and answered, after the retry did.
    REQUIRE(backend.answered.size() == 2);
    CHECK(backend.answered[1] == start + seconds(25));
}

TEST_CASE("retry: every try timing out ends as unknown_outcome", "[retry]") {
    sim::SimulatedRuntime rt{1};
    ScriptedBackend backend{
        rt, {seconds(30), seconds(30)}, {Result<int>(1), Result<int>(2)}, {}, {}};
    const auto outcome = run_retries(rt, backend, rules_with(2), seconds(120));
    REQUIRE(outcome);
    REQUIRE_FALSE(outcome->ok());
    CHECK(outcome->error().kind == ErrorKind::unknown_outcome);
    CHECK(outcome->error().code == "timeout");
    CHECK(backend.answered.size() == 2);  // both abandoned tries ran to their end
}

TEST_CASE("retry: once a try may have acted, a later throttled try keeps the outcome unknown",
          "[retry]") {
    sim::SimulatedRuntime rt{1};
    ScriptedBackend backend{rt,
                            {seconds(30), seconds(1), seconds(1)},
                            {Result<int>(1), Result<int>(throttled()), Result<int>(throttled())},
                            {},
                            {}};
    const auto outcome = run_retries(rt, backend, rules_with(3), seconds(120));
    REQUIRE(outcome);
    REQUIRE_FALSE(outcome->ok());
    CHECK(outcome->error().kind == ErrorKind::unknown_outcome);
    CHECK(outcome->error().code == "ThrottlingException");  // the last try's own words stay
    CHECK(backend.started.size() == 3);
}

TEST_CASE("retry: a non-retryable error returns at once", "[retry]") {
    sim::SimulatedRuntime rt{1};
    ScriptedBackend backend{rt,
                            {seconds(1)},
                            {Result<int>(make_error(ErrorKind::invalid, "ssm", "400", "bad"))},
                            {},
                            {}};
    const auto outcome = run_retries(rt, backend, rules_with(3), seconds(60));
    REQUIRE(outcome);
    REQUIRE_FALSE(outcome->ok());
    CHECK(outcome->error().kind == ErrorKind::invalid);
    CHECK(backend.started.size() == 1);
}

TEST_CASE("retry: no try starts once the deadline has passed", "[retry]") {
    sim::SimulatedRuntime rt{1};
    // The first try times out at 10 s, and the deadline is 10 s away: nothing is left for another.
    ScriptedBackend backend{rt, {seconds(30)}, {Result<int>(1)}, {}, {}};
    const auto outcome = run_retries(rt, backend, rules_with(3), seconds(10));
    REQUIRE(outcome);
    REQUIRE_FALSE(outcome->ok());
    CHECK(outcome->error().kind == ErrorKind::unknown_outcome);
    CHECK(backend.started.size() == 1);
}
