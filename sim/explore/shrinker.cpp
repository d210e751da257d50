#include "sim/explore/shrinker.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include <fmt/format.h>

#include "sim/explore/ddmin.hpp"
#include "sim/scenario/scenario_runner.hpp"

namespace scaleup::sim {

namespace {
using json = nlohmann::json;
using Pointer = json::json_pointer;

/// A fault's numeric knob and its smallest valid value: each makes its fault milder (or only
/// earlier) as it goes down. A percent stops at 1: 0 turns the fault off, and dropping the fault
/// is ddmin's move. `seconds` (clock skew) may be negative: it goes toward 0 from either side.
///
/// Limits are not knobs: EC2 capacity (`instances`), GitHub's rate limits, EC2's and SSM's
/// throttles. Lowering one makes its fault harsher, not smaller: a shrink took a capacity of 156
/// instances to 0 and "kept" a liveness failure that no control plane could avoid, a different
/// failure from the one it was shrinking. A limit stays as the mix drew it, or goes with its fault.
struct Knob {
    const char* key;
    std::int64_t floor;
};
constexpr std::array kFaultKnobs{
    Knob{"duration_seconds", 1},
    Knob{"start_seconds", 0},
    Knob{"at_seconds", 0},
    Knob{"percent", 1},
    Knob{"window_seconds", 0},
    Knob{"seconds", 0},
    Knob{"retry_after_missing_percent", 0},
};

/// What one run of a candidate showed.
struct Verdict {
    bool fails = false;  // the target checker failed
    std::int64_t jobs_queued = 0;
    std::string summary;
};

using Label = std::function<std::string(const json&)>;
using Removable = std::function<bool(const json&)>;

std::string fault_label(const json& fault) {
    return fault.value("kind", std::string("?"));
}
std::string owner_label(const json& owner) {
    return owner.value("name", std::string("?"));
}
std::string burst_label(const json& burst) {
    return fmt::format("{} jobs at {}s", burst.value("jobs", 0), burst.value("at_seconds", 0));
}
std::string plain_label(const json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
}

std::int64_t integer_at(const json& document, const std::string& pointer, std::int64_t absent) {
    const Pointer at(pointer);
    return document.contains(at) && document.at(at).is_number_integer()
               ? document.at(at).get<std::int64_t>()
               : absent;
}

std::int64_t size_at(const json& document, const std::string& pointer, std::int64_t absent) {
    const Pointer at(pointer);
    return document.contains(at) && document.at(at).is_array()
               ? static_cast<std::int64_t>(document.at(at).size())
               : absent;
}

/// Whether moving `value` to `floor` is a reduction (lower, or toward 0 for a signed knob).
bool reducible(std::int64_t value, std::int64_t floor) {
    return value > floor || (floor == 0 && value < 0);
}

class Shrinker {
  public:
    Shrinker(const json& document, std::string file, const ShrinkOptions& options)
        : current_(document),
          file_(std::move(file)),
          options_(options),
          run_(options.run ? options.run
                           : [](const Scenario& s) { return run_scenario(s, RunSettings{}); }) {}

    ShrinkResult run();

  private:
    bool start();
    Verdict judge(const json& candidate);
    Verdict run_candidate(const Scenario& scenario);
    bool keep_if_fails(const json& candidate, const std::string& step);
    bool reduce_round();
    bool reduce_list(const std::string& pointer, const std::string& what, std::size_t min_size,
                     const Label& label, const Removable& removable = nullptr);
    bool reduce_number(const std::string& pointer, std::int64_t floor, const std::string& what);
    bool reduce_fault_knobs();
    bool reduce_workload();
    bool reduce_owners();
    bool reduce_duration();
    bool reduce_switches();
    std::set<std::string> owners_named_by_faults() const;
    json minimal_document(std::uint64_t seed) const;

    json current_;
    std::string file_;
    const ShrinkOptions& options_;
    ScenarioRunFunction run_;
    std::string target_;
    Verdict current_verdict_;
    std::map<std::string, Verdict> verdicts_;  // by the candidate's text: runs are deterministic
    ShrinkResult result_;
};

ShrinkResult Shrinker::run() {
    result_.before = measure_scenario(current_);
    const std::uint64_t seed = load_scenario(current_, file_).seed;
    if (!start())
        return result_;
    while (!result_.budget_exhausted && reduce_round()) {
    }
    result_.outcome = ShrinkOutcome::shrunk;
    result_.checker = target_;
    result_.summary = current_verdict_.summary;
    result_.minimal = minimal_document(seed);
    result_.after = measure_scenario(current_);
    result_.after.jobs_queued = current_verdict_.jobs_queued;
    return result_;
}

/// Runs the original and picks the target: the first checker it fails. False if it passes.
bool Shrinker::start() {
    const Scenario scenario = load_scenario(current_, file_);
    result_.runs = 1;
    const RunReport report = run_(scenario);
    result_.before.jobs_queued = report.jobs_queued;
    const auto failed = std::find_if(report.checkers.begin(), report.checkers.end(),
                                     [](const CheckerResult& c) { return !c.passed; });
    if (failed == report.checkers.end())
        return false;
    target_ = failed->checker;
    current_verdict_ = Verdict{true, report.jobs_queued, failed->summary};
    verdicts_[current_.dump()] = current_verdict_;
    if (options_.on_target)
        options_.on_target(target_, failed->summary);
    return true;
}

Verdict Shrinker::judge(const json& candidate) {
    const std::string key = candidate.dump();
    if (const auto known = verdicts_.find(key); known != verdicts_.end())
        return known->second;
    Scenario scenario;
    try {
        scenario = load_scenario(candidate, file_);
    } catch (const ScenarioError&) {
        ++result_.candidates_rejected;  // a reduction made it invalid: skip it, never crash
        if (options_.on_candidate)
            options_.on_candidate(candidate, false);
        return verdicts_[key] = Verdict{};
    }
    if (options_.on_candidate)
        options_.on_candidate(candidate, true);
    if (result_.runs >= options_.max_runs) {
        result_.budget_exhausted = true;
        return Verdict{};  // not cached: it was never run
    }
    return verdicts_[key] = run_candidate(scenario);
}

Verdict Shrinker::run_candidate(const Scenario& scenario) {
    ++result_.runs;
    RunReport report;
    try {
        report = run_(scenario);
    } catch (const std::exception&) {
        ++result_.candidates_threw;  // a different failure from the one being shrunk
        return Verdict{};
    }
    Verdict verdict;
    verdict.jobs_queued = report.jobs_queued;
    for (const auto& checker : report.checkers) {
        if (checker.checker == target_ && !checker.passed) {
            verdict.fails = true;
            verdict.summary = checker.summary;
        }
    }
    return verdict;
}

bool Shrinker::keep_if_fails(const json& candidate, const std::string& step) {
    const Verdict verdict = judge(candidate);
    if (!verdict.fails)
        return false;
    current_ = candidate;
    current_verdict_ = verdict;
    result_.steps.push_back(ShrinkStep{step, result_.runs});
    if (options_.on_step)
        options_.on_step(result_.steps.back());
    return true;
}

/// One pass of every reduction; true if any was kept. The load goes last: while there are many
/// jobs, a failure usually survives dropping an owner or lowering a rate, and with few jobs it
/// rarely does (every change reshuffles which jobs meet which fault).
bool Shrinker::reduce_round() {
    bool changed = reduce_list("/faults", "faults", 0, fault_label);
    changed = reduce_switches() || changed;
    changed = reduce_owners() || changed;
    changed = reduce_fault_knobs() || changed;
    changed = reduce_duration() || changed;
    changed = reduce_workload() || changed;
    return changed;
}

/// ddmin over the array at `pointer`; elements `removable` rejects always stay.
bool Shrinker::reduce_list(const std::string& pointer, const std::string& what,
                           std::size_t min_size, const Label& label, const Removable& removable) {
    const Pointer at(pointer);
    if (!current_.contains(at) || !current_.at(at).is_array())
        return false;
    const json original = current_.at(at);
    Subset candidates;
    Subset fixed;
    for (std::size_t i = 0; i < original.size(); ++i)
        (!removable || removable(original[i]) ? candidates : fixed).push_back(i);
    Subset kept_now = candidates;
    const auto build = [&](const Subset& kept) {
        Subset all = fixed;
        all.insert(all.end(), kept.begin(), kept.end());
        std::sort(all.begin(), all.end());
        json list = json::array();
        for (const auto i : all)
            list.push_back(original[i]);
        return list;
    };
    bool changed = false;
    const std::size_t min_kept = fixed.size() >= min_size ? 0 : min_size - fixed.size();
    (void)ddmin(candidates, min_kept, [&](const Subset& kept) {
        json candidate = current_;
        candidate[at] = build(kept);
        std::vector<std::string> dropped;
        for (const auto i : kept_now) {
            if (!std::binary_search(kept.begin(), kept.end(), i))
                dropped.push_back(label(original[i]));
        }
        const auto step =
            fmt::format("{}: {} -> {} (dropped {})", what, fixed.size() + kept_now.size(),
                        fixed.size() + kept.size(), fmt::join(dropped, ", "));
        if (!keep_if_fails(candidate, step))
            return false;
        kept_now = kept;
        changed = true;
        return true;
    });
    return changed;
}

/// Moves the integer at `pointer` toward `floor`: the floor itself first, then halfway, then a
/// quarter of the way (a failure that needs some load often survives a quarter less but not half),
/// and again from wherever it was kept.
bool Shrinker::reduce_number(const std::string& pointer, std::int64_t floor,
                             const std::string& what) {
    const Pointer at(pointer);
    bool changed = false;
    for (;;) {
        const std::int64_t value = integer_at(current_, pointer, floor);
        if (!reducible(value, floor))
            return changed;
        bool kept = false;
        for (const std::int64_t next :
             {floor, value + (floor - value) / 2, value + (floor - value) / 4}) {
            if (next == value)
                continue;
            json candidate = current_;
            candidate[at] = next;
            if (keep_if_fails(candidate, fmt::format("{}: {} -> {}", what, value, next))) {
                kept = true;
                break;
            }
        }
        if (!kept)
            return changed;
        changed = true;
    }
}

bool Shrinker::reduce_fault_knobs() {
    bool changed = false;
    for (std::int64_t i = 0; i < size_at(current_, "/faults", 0); ++i) {
        const std::string kind = fault_label(current_["faults"][static_cast<std::size_t>(i)]);
        for (const auto& knob : kFaultKnobs) {
            changed = reduce_number(fmt::format("/faults/{}/{}", i, knob.key), knob.floor,
                                    fmt::format("faults[{}] {} {}", i, kind, knob.key)) ||
                      changed;
        }
    }
    return changed;
}

bool Shrinker::reduce_workload() {
    bool changed = reduce_number("/workload/jobs_per_hour", 0, "workload jobs_per_hour");
    changed = reduce_list("/workload/bursts", "workload bursts", 0, burst_label) || changed;
    for (std::int64_t i = 0; i < size_at(current_, "/workload/bursts", 0); ++i) {
        changed = reduce_number(fmt::format("/workload/bursts/{}/jobs", i), 1,
                                fmt::format("workload bursts[{}] jobs", i)) ||
                  changed;
    }
    changed =
        reduce_number("/workload/arrivals_until_seconds", 0, "workload arrivals_until_seconds") ||
        changed;
    changed = reduce_number("/workload/cancel_while_queued_percent", 0,
                            "workload cancel_while_queued_percent") ||
              changed;
    return changed;
}

/// Owners no fault names (installation_suspended names one), then each owner's repos, then the
/// label sets; at least one of each stays (the loader requires it).
bool Shrinker::reduce_owners() {
    const auto named = owners_named_by_faults();
    bool changed = reduce_list(
        "/workload/owners", "workload owners", 1, owner_label,
        [&](const json& owner) { return named.count(owner.value("name", std::string())) == 0; });
    for (std::int64_t i = 0; i < size_at(current_, "/workload/owners", 0); ++i) {
        const auto name = owner_label(current_["workload"]["owners"][static_cast<std::size_t>(i)]);
        changed = reduce_list(fmt::format("/workload/owners/{}/repos", i),
                              fmt::format("owner {} repos", name), 1, plain_label) ||
                  changed;
    }
    changed = reduce_list("/workload/label_sets", "workload label_sets", 1, plain_label) || changed;
    return changed;
}

/// A shorter fault phase, still holding every fault window, timed fault and burst.
bool Shrinker::reduce_duration() {
    std::int64_t floor = 1;
    for (std::int64_t i = 0; i < size_at(current_, "/faults", 0); ++i) {
        const auto& fault = current_["faults"][static_cast<std::size_t>(i)];
        if (fault.contains("duration_seconds")) {
            floor = std::max(floor, fault.value("start_seconds", std::int64_t{0}) +
                                        fault.value("duration_seconds", std::int64_t{0}));
        }
        if (fault.contains("at_seconds"))
            floor = std::max(floor, fault.value("at_seconds", std::int64_t{0}) + 1);
    }
    for (std::int64_t i = 0; i < size_at(current_, "/workload/bursts", 0); ++i) {
        const auto& burst = current_["workload"]["bursts"][static_cast<std::size_t>(i)];
        floor = std::max(floor, burst.value("at_seconds", std::int64_t{0}) + 1);
    }
    return reduce_number("/duration_seconds", floor, "duration_seconds");
}

/// The control plane's switches (boolean keys of "config", such as the queued check `scaleup
/// explore` draws), each dropped back to its default while the failure persists: a switch the
/// failure does not need is noise to the reader. Numbers stay as they are: a default may be a
/// harsher limit (max_runners), and a harsher fault is another failure.
bool Shrinker::reduce_switches() {
    if (!current_.contains("config") || !current_["config"].is_object())
        return false;
    std::vector<std::string> switches;
    for (const auto& [key, value] : current_["config"].items()) {
        if (value.is_boolean())
            switches.push_back(key);
    }
    bool changed = false;
    for (const auto& key : switches) {
        json candidate = current_;
        candidate["config"].erase(key);
        if (candidate["config"].empty())
            candidate.erase("config");
        changed = keep_if_fails(candidate,
                                fmt::format("config: dropped {} (its default applies)", key)) ||
                  changed;
    }
    return changed;
}

std::set<std::string> Shrinker::owners_named_by_faults() const {
    std::set<std::string> named;
    if (current_.contains("faults") && current_["faults"].is_array()) {
        for (const auto& fault : current_["faults"]) {
            if (fault.contains("owner") && fault["owner"].is_string())
                named.insert(fault["owner"].get<std::string>());
        }
    }
    return named;
}

json Shrinker::minimal_document(std::uint64_t seed) const {
    json minimal = current_;
    if (minimal.contains("workload") && minimal["workload"].contains("bursts") &&
        minimal["workload"]["bursts"].empty())
        minimal["workload"].erase("bursts");  // absent means none: the file reads shorter
    minimal["description"] =
        fmt::format("shrunk by scaleup shrink from {} (seed {}): {} fails", file_, seed, target_);
    const std::string name = minimal.value("name", std::string("scenario"));
    if (name.size() < 7 || name.compare(name.size() - 7, 7, "-shrunk") != 0)
        minimal["name"] = name + "-shrunk";
    return minimal;
}
}  // namespace

ShrinkResult shrink_scenario(const nlohmann::json& document, const std::string& file,
                             const ShrinkOptions& options) {
    return Shrinker(document, file, options).run();
}

ScenarioSize measure_scenario(const nlohmann::json& document) {
    ScenarioSize size;
    size.faults = size_at(document, "/faults", 0);
    size.jobs_per_hour = integer_at(document, "/workload/jobs_per_hour", -1);
    size.bursts = size_at(document, "/workload/bursts", 0);
    size.owners = size_at(document, "/workload/owners", -1);
    size.duration_seconds = integer_at(document, "/duration_seconds", 0);
    return size;
}

}  // namespace scaleup::sim
