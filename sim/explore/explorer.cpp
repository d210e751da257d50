#include "sim/explore/explorer.hpp"

#include <charconv>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "core/runtime/random.hpp"
#include "sim/runtime/determinism_check.hpp"
#include "sim/scenario/scenario_runner.hpp"

namespace scaleup::sim {

namespace {
bool all_of_digits(const std::string& text, bool hex) {
    for (const char c : text) {
        const bool digit = c >= '0' && c <= '9';
        const bool hex_letter = (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!digit && !(hex && hex_letter))
            return false;
    }
    return !text.empty();
}

std::uint64_t parse_unsigned(const std::string& text, int base, const std::string& what) {
    std::uint64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, error] = std::from_chars(text.data(), end, value, base);
    if (error != std::errc{} || ptr != end)
        throw ExploreError(fmt::format("{}: \"{}\" is not a number that fits 64 bits", what, text));
    return value;
}

void fail(SeedOutcome& outcome, std::string checker, std::string summary) {
    outcome.passed = false;
    outcome.failed_checkers.push_back(std::move(checker));
    outcome.summaries.push_back(std::move(summary));
}

void judge(const RunReport& report, SeedOutcome& outcome) {
    outcome.probe_hits = report.probe_hits;
    outcome.events = report.events;
    outcome.trace_hash = report.trace_hash;
    for (const auto& checker : report.checkers) {
        if (!checker.passed)
            fail(outcome, checker.checker, checker.summary);
    }
}

std::vector<std::string> failing_checkers(const RunReport& report) {
    std::vector<std::string> failed;
    for (const auto& checker : report.checkers) {
        if (!checker.passed)
            failed.push_back(checker.checker);
    }
    return failed;
}

// Runs a failing seed that ran without a trace again with it, for the hash a replay of its written
// scenario must show. The run must fail as the untraced one did: if it does not, the trace changed
// what the simulation did, and that is a determinism failure of its own.
void trace_failure(const Scenario& scenario, SeedOutcome& outcome) {
    const RunReport traced = run_scenario(scenario, RunSettings{});
    if (failing_checkers(traced) != outcome.failed_checkers || traced.events != outcome.events) {
        fail(outcome, "determinism",
             fmt::format("NOT deterministic: run with its trace on, the seed ran {} events and "
                         "failed [{}]; without, {} events and failed [{}]",
                         traced.events, fmt::join(failing_checkers(traced), ", "), outcome.events,
                         fmt::join(outcome.failed_checkers, ", ")));
        return;
    }
    outcome.trace_hash = traced.trace_hash;
}

// Runs the seed twice more, recording only per-event hashes, and compares the runs with each other
// and with the judged run's trace hash.
void spot_check(const Scenario& scenario, SeedOutcome& outcome) {
    outcome.rechecked = true;
    const auto report = check_determinism([&scenario](TraceRecorder& trace) {
        World world(scenario.world, &trace);
        world.run();
    });
    if (!report.deterministic) {
        outcome.recheck_failed = true;
        fail(outcome, "determinism", report.describe());
    } else if (report.first_hash != outcome.trace_hash) {
        outcome.recheck_failed = true;
        fail(outcome, "determinism",
             fmt::format("NOT deterministic: the judged run's trace hash {} differs from both "
                         "rechecks' {}",
                         format_hash(outcome.trace_hash), format_hash(report.first_hash)));
    }
}
}  // namespace

std::uint64_t seed_base(const std::string& seed_from) {
    if (seed_from.size() == 40 && all_of_digits(seed_from, true))
        return parse_unsigned(seed_from.substr(0, 16), 16, "--seed-from");
    if (seed_from.size() < 40 && all_of_digits(seed_from, false))
        return parse_unsigned(seed_from, 10, "--seed-from");
    throw ExploreError(fmt::format(
        "--seed-from: \"{}\" is neither a decimal integer nor a 40-hex-digit commit hash",
        seed_from));
}

void parse_shard(const std::string& text, SeedPlan& plan) {
    const auto slash = text.find('/');
    const auto k = text.substr(0, slash);
    const auto m = slash == std::string::npos ? std::string() : text.substr(slash + 1);
    if (slash == std::string::npos || !all_of_digits(k, false) || !all_of_digits(m, false))
        throw ExploreError(fmt::format("--shard: \"{}\" is not K/M (e.g. 0/8)", text));
    plan.shard = parse_unsigned(k, 10, "--shard");
    plan.shard_count = parse_unsigned(m, 10, "--shard");
    plan.validate();
}

void SeedPlan::validate() const {
    (void)seed_base(seed_from);
    if (shard_count == 0)
        throw ExploreError("--shard: M must be at least 1");
    if (shard >= shard_count) {
        throw ExploreError(
            fmt::format("--shard: K must be in 0..{} for M = {} (shards are 0-based)",
                        shard_count - 1, shard_count));
    }
}

std::vector<std::uint64_t> SeedPlan::indices() const {
    std::vector<std::uint64_t> out;
    for (std::uint64_t i = shard; i < seeds; i += shard_count)
        out.push_back(i);
    return out;
}

std::uint64_t SeedPlan::seed_at(std::uint64_t index) const {
    // The base is mixed first, so nearby --seed-from integers give unrelated seed sets.
    SplitMix64 stream(seed_base(seed_from));
    SplitMix64 mixer(stream.next() + index);
    return mixer.next() >> 1;  // scenario seeds are at most INT64_MAX
}

bool rechecks(std::uint64_t seed, std::uint64_t recheck_percent) {
    SplitMix64 mixer(seed ^ 0x7265'6368'6563'6bULL);
    return mixer.next() % 100 < recheck_percent;
}

SeedOutcome run_seed(const Scenario& base, const SeedPlan& plan, std::uint64_t index,
                     const ExploreSettings& settings) {
    SeedOutcome outcome;
    outcome.index = index;
    outcome.seed = plan.seed_at(index);
    try {
        const auto mix = generate_fault_mix(base, outcome.seed);
        outcome.mix = mix.summary();
        outcome.document = seed_document(base, mix);
        outcome.name = outcome.document.at("name").get<std::string>();
        Scenario scenario = load_scenario(outcome.document, outcome.name + ".json");
        if (settings.adjust_scenario)
            settings.adjust_scenario(scenario);
        // Only a spot-checked or failing seed keeps its trace hash, so only those run traced.
        const bool recheck = rechecks(outcome.seed, settings.recheck_percent);
        RunSettings run;
        run.trace = recheck;
        judge(run_scenario(scenario, run), outcome);
        if (!outcome.passed && !recheck)
            trace_failure(scenario, outcome);
        if (recheck)
            spot_check(scenario, outcome);
    } catch (const std::exception& e) {
        fail(outcome, "exception", e.what());
    }
    return outcome;
}

std::string write_seed_document(const std::string& directory, const SeedOutcome& outcome) {
    namespace fs = std::filesystem;
    std::error_code error;
    fs::create_directories(directory, error);
    if (error)
        throw ExploreError(
            fmt::format("{}: cannot create the directory: {}", directory, error.message()));
    const auto path = (fs::path(directory) / (outcome.name + ".json")).string();
    std::ofstream out(path);
    out << outcome.document.dump(2) << "\n";
    if (!out)
        throw ExploreError(fmt::format("{}: cannot write the file", path));
    return path;
}

}  // namespace scaleup::sim
