// ExploreResult: recording seeds, the versioned JSON document, and merging shards
// (explorer.hpp).
#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "core/common/json_reader.hpp"
#include "sim/explore/explorer.hpp"
#include "sim/runtime/trace_recorder.hpp"

namespace scaleup::sim {

namespace {
using nlohmann::json;

constexpr const char* kFormat = "scaleup-explore-result";
constexpr std::int64_t kVersion = 1;
constexpr std::int64_t kMax = INT64_MAX;

std::uint64_t fnv1a(const std::string& text) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const unsigned char c : text) {
        hash ^= c;
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

std::uint64_t unsigned_of(const JsonReader& in, const std::string& key) {
    return static_cast<std::uint64_t>(in.integer(key, 0, kMax));
}

std::uint64_t hash_of(const JsonReader& in, const std::string& key) {
    const auto text = in.string(key);
    std::uint64_t value = 0;
    const auto* end = text.data() + text.size();
    if (text.size() != 18 || !text.starts_with("0x") ||
        std::from_chars(text.data() + 2, end, value, 16).ptr != end)
        throw InputError(in.pointer_of(key), "expected a hash \"0x\" and 16 hex digits");
    return value;
}

std::vector<std::uint64_t> shards_of(const JsonReader& in, std::uint64_t shard_count) {
    const auto& array = in.raw("shards");
    if (!array.is_array() || array.empty())
        throw InputError(in.pointer_of("shards"), "expected a non-empty array of shard numbers");
    std::vector<std::uint64_t> shards;
    for (std::size_t i = 0; i < array.size(); ++i) {
        const auto pointer = fmt::format("{}/{}", in.pointer_of("shards"), i);
        if (!array[i].is_number_unsigned() || array[i].get<std::uint64_t>() >= shard_count)
            throw InputError(pointer, fmt::format("expected a shard in 0..{}", shard_count - 1));
        if (!shards.empty() && array[i].get<std::uint64_t>() <= shards.back())
            throw InputError(pointer, "shards must be ascending, each once");
        shards.push_back(array[i].get<std::uint64_t>());
    }
    return shards;
}

json failure_json(const ExploreFailure& f) {
    json checkers = json::array();
    for (std::size_t i = 0; i < f.checkers.size(); ++i)
        checkers.push_back({{"checker", f.checkers[i]}, {"summary", f.summaries[i]}});
    return {{"index", f.index},    {"seed", f.seed}, {"scenario", f.scenario},
            {"mix", f.mix},        {"file", f.file}, {"trace_hash", format_hash(f.trace_hash)},
            {"checkers", checkers}};
}

ExploreFailure failure_of(const JsonReader& in) {
    ExploreFailure f;
    f.index = unsigned_of(in, "index");
    f.seed = unsigned_of(in, "seed");
    f.scenario = in.string("scenario");
    f.mix = in.string("mix");
    f.file = in.string("file");
    f.trace_hash = hash_of(in, "trace_hash");
    const auto& checkers = in.raw("checkers");
    if (!checkers.is_array() || checkers.empty())
        throw InputError(in.pointer_of("checkers"), "expected a non-empty array");
    for (std::size_t i = 0; i < checkers.size(); ++i) {
        const JsonReader c(checkers[i], fmt::format("{}/{}", in.pointer_of("checkers"), i));
        f.checkers.push_back(c.string("checker"));
        f.summaries.push_back(c.string("summary"));
        c.reject_unknown_keys();
    }
    in.reject_unknown_keys();
    return f;
}

void read_probes(const JsonReader& in, ExploreResult& r) {
    const JsonReader probes = in.object("probe_seeds");
    for (std::size_t i = 0; i < kProbeCount; ++i) {
        const std::string id(probe_id(static_cast<Probe>(i)));
        r.probe_seeds[i] = static_cast<std::uint64_t>(
            probes.integer(id, 0, static_cast<std::int64_t>(r.seeds_run)));
    }
    probes.reject_unknown_keys();
}

void read_failures(const JsonReader& in, ExploreResult& r) {
    const auto& failures = in.raw("failures");
    if (!failures.is_array())
        throw InputError(in.pointer_of("failures"), "expected an array");
    const auto covered = covered_indices(r);
    for (std::size_t i = 0; i < failures.size(); ++i) {
        const auto pointer = fmt::format("{}/{}", in.pointer_of("failures"), i);
        auto f = failure_of(JsonReader(failures[i], pointer));
        if (!std::binary_search(covered.begin(), covered.end(), f.index))
            throw InputError(pointer + "/index", "not an index of the result's shards");
        r.failures.push_back(std::move(f));
    }
}

ExploreResult read_result(const json& document) {
    const JsonReader in(document, "");
    if (in.string("format") != kFormat)
        throw InputError("/format", fmt::format("expected \"{}\"", kFormat));
    const auto version = in.integer("version", 0, kMax);
    if (version != kVersion) {
        throw InputError("/version",
                         fmt::format("version {}; this build reads version {}", version, kVersion));
    }
    ExploreResult r;
    r.base = in.string("base");
    r.base_fingerprint = format_hash(hash_of(in, "base_fingerprint"));
    r.seed_from = in.string("seed_from");
    r.seeds = unsigned_of(in, "seeds");
    r.shard_count = static_cast<std::uint64_t>(in.integer("shard_count", 1, kMax));
    r.recheck_percent = static_cast<std::uint64_t>(in.integer("recheck_percent", 0, 100));
    r.shards = shards_of(in, r.shard_count);
    r.seeds_run = unsigned_of(in, "seeds_run");
    if (r.seeds_run != covered_indices(r).size()) {
        throw InputError("/seeds_run", fmt::format("{} seeds, but the shards cover {}", r.seeds_run,
                                                   covered_indices(r).size()));
    }
    r.determinism_checks = static_cast<std::uint64_t>(
        in.integer("determinism_checks", 0, static_cast<std::int64_t>(r.seeds_run)));
    r.determinism_failures = static_cast<std::uint64_t>(
        in.integer("determinism_failures", 0, static_cast<std::int64_t>(r.determinism_checks)));
    r.events = unsigned_of(in, "events");
    r.wall_ms = in.integer("wall_ms", 0, kMax);
    r.busy_ms = in.integer("busy_ms", 0, kMax);
    read_probes(in, r);
    read_failures(in, r);
    in.reject_unknown_keys();
    return r;
}

// The first way `b` belongs to another sweep than `a`, or empty.
std::string difference(const ExploreResult& a, const ExploreResult& b) {
    const auto differ = [](const char* what, const auto& x, const auto& y) {
        return x == y ? std::string() : fmt::format("different {} ({} and {})", what, x, y);
    };
    for (auto text :
         {differ("base scenario", a.base, b.base),
          differ("base document", a.base_fingerprint, b.base_fingerprint),
          differ("--seed-from", a.seed_from, b.seed_from), differ("--seeds", a.seeds, b.seeds),
          differ("shard count M", a.shard_count, b.shard_count),
          differ("--recheck-percent", a.recheck_percent, b.recheck_percent)}) {
        if (!text.empty())
            return text;
    }
    return "";
}

void add_into(ExploreResult& total, const ExploreResult& part) {
    total.shards.insert(total.shards.end(), part.shards.begin(), part.shards.end());
    total.seeds_run += part.seeds_run;
    total.failures.insert(total.failures.end(), part.failures.begin(), part.failures.end());
    for (std::size_t i = 0; i < kProbeCount; ++i)
        total.probe_seeds[i] += part.probe_seeds[i];
    total.determinism_checks += part.determinism_checks;
    total.determinism_failures += part.determinism_failures;
    total.events += part.events;
    total.wall_ms = std::max(total.wall_ms, part.wall_ms);
    total.busy_ms += part.busy_ms;
}
}  // namespace

ExploreResult start_result(const Scenario& base, const SeedPlan& plan,
                           const ExploreSettings& settings) {
    ExploreResult r;
    r.base = base.name;
    r.base_fingerprint = format_hash(fnv1a(base.source.dump()));
    r.seed_from = plan.seed_from;
    r.seeds = plan.seeds;
    r.shard_count = plan.shard_count;
    r.recheck_percent = settings.recheck_percent;
    r.shards = {plan.shard};
    return r;
}

void record_seed(ExploreResult& result, const SeedOutcome& outcome, const std::string& file) {
    ++result.seeds_run;
    result.events += outcome.events;
    for (std::size_t i = 0; i < kProbeCount; ++i)
        result.probe_seeds[i] += outcome.probe_hits[i] > 0 ? 1 : 0;
    result.determinism_checks += outcome.rechecked ? 1 : 0;
    result.determinism_failures += outcome.recheck_failed ? 1 : 0;
    if (outcome.passed)
        return;
    result.failures.push_back({outcome.index, outcome.seed, outcome.name, outcome.mix, file,
                               outcome.trace_hash, outcome.failed_checkers, outcome.summaries});
}

std::vector<std::uint64_t> covered_indices(const ExploreResult& result) {
    std::vector<std::uint64_t> out;
    for (std::uint64_t i = 0; i < result.seeds; ++i) {
        if (std::binary_search(result.shards.begin(), result.shards.end(), i % result.shard_count))
            out.push_back(i);
    }
    return out;
}

std::vector<Probe> never_hit_probes(const ExploreResult& result) {
    std::vector<Probe> out;
    for (std::size_t i = 0; i < kProbeCount; ++i) {
        if (result.probe_seeds[i] == 0)
            out.push_back(static_cast<Probe>(i));
    }
    return out;
}

nlohmann::json to_json(const ExploreResult& r) {
    json probes = json::object();
    for (std::size_t i = 0; i < kProbeCount; ++i)
        probes[std::string(probe_id(static_cast<Probe>(i)))] = r.probe_seeds[i];
    json failures = json::array();
    for (const auto& f : r.failures)
        failures.push_back(failure_json(f));
    return {{"format", kFormat},
            {"version", kVersion},
            {"base", r.base},
            {"base_fingerprint", r.base_fingerprint},
            {"seed_from", r.seed_from},
            {"seeds", r.seeds},
            {"shard_count", r.shard_count},
            {"shards", r.shards},
            {"recheck_percent", r.recheck_percent},
            {"seeds_run", r.seeds_run},
            {"determinism_checks", r.determinism_checks},
            {"determinism_failures", r.determinism_failures},
            {"events", r.events},
            {"wall_ms", r.wall_ms},
            {"busy_ms", r.busy_ms},
            {"probe_seeds", probes},
            {"failures", failures}};
}

ExploreResult result_from_json(const nlohmann::json& document, const std::string& source) {
    try {
        auto r = read_result(document);
        r.source = source;
        return r;
    } catch (const InputError& e) {
        throw ExploreError(fmt::format("{}: {}", source, e.what()));
    }
}

ExploreResult merge(const std::vector<ExploreResult>& results) {
    if (results.empty())
        throw ExploreError("merge: no results to merge");
    ExploreResult total = results.front();
    total.source = "merged";
    for (std::size_t i = 1; i < results.size(); ++i) {
        const auto& part = results[i];
        const auto why = difference(results.front(), part);
        if (!why.empty()) {
            throw ExploreError(fmt::format("cannot merge {} and {}: {}; they are not one sweep",
                                           results.front().source, part.source, why));
        }
        for (const auto shard : part.shards) {
            if (!std::binary_search(total.shards.begin(), total.shards.end(), shard))
                continue;
            throw ExploreError(fmt::format(
                "cannot merge {}: shard {}/{} is already covered by another result (overlapping "
                "shards would count its seeds twice)",
                part.source, shard, part.shard_count));
        }
        add_into(total, part);
        std::sort(total.shards.begin(), total.shards.end());
    }
    std::stable_sort(total.failures.begin(), total.failures.end(),
                     [](const auto& a, const auto& b) { return a.index < b.index; });
    return total;
}

}  // namespace scaleup::sim
