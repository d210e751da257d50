#include "apps/scaleup/explore_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "apps/scaleup/text_file.hpp"

namespace scaleup::app {

namespace {
using Clock = std::chrono::steady_clock;

std::int64_t ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::string indent(const std::string& text, const std::string& prefix) {
    std::string out = prefix;
    for (const char c : text) {
        out += c;
        if (c == '\n')
            out += prefix;
    }
    return out;
}

std::string outcome_lines(const sim::SeedOutcome& o, const std::string& file) {
    std::string out =
        fmt::format("seed={} {} index={} {}\n", o.seed, o.passed ? "PASS" : "FAIL", o.index, o.mix);
    for (std::size_t i = 0; i < o.failed_checkers.size(); ++i)
        out += indent(fmt::format("{}: {}", o.failed_checkers[i], o.summaries[i]), "  ") + "\n";
    if (!o.passed && !file.empty())
        out += fmt::format("  replay: scaleup run {}\n", file);
    return out;
}

// Plain lines when stdout is not a terminal; on a terminal one progress line, redrawn, with the
// failures printed above it.
class Progress {
  public:
    Progress(bool terminal, std::size_t total) : terminal_(terminal), total_(total) {}

    void seed_done(const sim::SeedOutcome& outcome, const std::string& file) {
        ++done_;
        failures_ += outcome.passed ? 0 : 1;
        if (!terminal_) {
            fmt::print("{}", outcome_lines(outcome, file));
            std::fflush(stdout);
            return;
        }
        if (!outcome.passed)
            fmt::print("\r\033[K{}", outcome_lines(outcome, file));
        draw();
    }

    void finish() {
        if (terminal_)
            fmt::print("\r\033[K");
        std::fflush(stdout);
    }

  private:
    void draw() {
        const double elapsed = static_cast<double>(ms_since(start_)) / 1000.0;
        const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
        const double left = rate > 0 ? static_cast<double>(total_ - done_) / rate : 0.0;
        constexpr std::size_t kWidth = 30;
        const std::size_t filled = total_ == 0 ? kWidth : kWidth * done_ / total_;
        fmt::print("\r\033[K[{}{}] {}/{} seeds  {} failed  {:.1f} seeds/s  {:.0f}s left",
                   std::string(filled, '#'), std::string(kWidth - filled, '.'), done_, total_,
                   failures_, rate, left);
        std::fflush(stdout);
    }

    bool terminal_;
    std::size_t total_;
    std::size_t done_ = 0;
    std::size_t failures_ = 0;
    Clock::time_point start_ = Clock::now();
};

// While a seed runs, its scenario waits in DIR/running/: if the process dies (a crash in the
// simulation takes every thread with it), the seeds that were running are left there to replay.
class RunningSeeds {
  public:
    explicit RunningSeeds(const std::string& out_dir)
        : dir_(out_dir.empty() ? "" : out_dir + "/running") {}

    std::string enter(const sim::Scenario& base, const sim::SeedPlan& plan, std::uint64_t index) {
        if (dir_.empty())
            return "";
        sim::SeedOutcome pending;
        const auto mix = sim::generate_fault_mix(base, plan.seed_at(index));
        pending.document = sim::seed_document(base, mix);
        pending.name = pending.document.at("name").get<std::string>();
        try {
            return sim::write_seed_document(dir_, pending);
        } catch (const sim::ExploreError&) {
            return "";  // a convenience for crashes only; the sweep goes on
        }
    }

    static void leave(const std::string& path) {
        std::error_code ignored;
        if (!path.empty())
            std::filesystem::remove(path, ignored);
    }

    ~RunningSeeds() {
        std::error_code ignored;
        if (!dir_.empty())
            std::filesystem::remove(dir_, ignored);  // only if empty
    }

  private:
    std::string dir_;
};

struct Slot {
    std::optional<sim::SeedOutcome> outcome;
    std::int64_t run_ms = 0;
};

// Runs every index on `jobs` threads; hands the outcomes to `consume` in index order.
template <typename Consume>
void run_in_seed_order(const sim::Scenario& base, const sim::SeedPlan& plan,
                       const sim::ExploreSettings& settings, unsigned jobs, RunningSeeds& running,
                       Consume consume) {
    const auto indices = plan.indices();
    std::vector<Slot> slots(indices.size());
    std::atomic<std::size_t> next{0};
    std::mutex mutex;
    std::condition_variable ready;
    const auto work = [&] {
        for (std::size_t k = next++; k < indices.size(); k = next++) {
            const auto start = Clock::now();
            const auto pending = running.enter(base, plan, indices[k]);
            auto outcome = sim::run_seed(base, plan, indices[k], settings);
            RunningSeeds::leave(pending);
            if (outcome.passed)
                outcome.document = nlohmann::json();  // only failures are written
            const auto run_ms = ms_since(start);
            const std::lock_guard lock(mutex);
            slots[k].outcome = std::move(outcome);
            slots[k].run_ms = run_ms;
            ready.notify_all();
        }
    };
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < jobs; ++i)
        threads.emplace_back(work);
    for (std::size_t k = 0; k < slots.size(); ++k) {
        std::unique_lock lock(mutex);
        ready.wait(lock, [&] { return slots[k].outcome.has_value(); });
        Slot slot = std::move(slots[k]);
        slots[k].outcome.reset();
        lock.unlock();
        consume(*slot.outcome, slot.run_ms);
    }
    for (auto& thread : threads)
        thread.join();
}

void print_header(const ExploreCommandOptions& o, const sim::Scenario& base,
                  const sim::SeedPlan& plan, unsigned jobs) {
    fmt::print(
        "explore base={} ({}) seed-from={} (base {}) seeds={} shard={}/{} ({} seeds in this "
        "shard) recheck-percent={} jobs={}{}\n",
        base.name, base.file, plan.seed_from, sim::seed_base(plan.seed_from), plan.seeds,
        plan.shard, plan.shard_count, plan.indices().size(), o.recheck_percent, jobs,
        o.out_dir.empty() ? "" : fmt::format(" out={}", o.out_dir));
    std::fflush(stdout);
}

std::string shards_text(const sim::ExploreResult& r) {
    std::vector<std::uint64_t> missing;
    for (std::uint64_t k = 0; k < r.shard_count; ++k) {
        if (!std::binary_search(r.shards.begin(), r.shards.end(), k))
            missing.push_back(k);
    }
    const auto covered = fmt::format("shard{} {} of {}", r.shards.size() == 1 ? "" : "s",
                                     fmt::join(r.shards, ","), r.shard_count);
    if (missing.empty())
        return covered + (r.shard_count > 1 ? " (every shard)" : "");
    return fmt::format("{} (missing: {})", covered, fmt::join(missing, ","));
}

std::string speed_text(const sim::ExploreResult& r, unsigned jobs) {
    const double wall_s = static_cast<double>(r.wall_ms) / 1000.0;
    const double busy_h = static_cast<double>(r.busy_ms) / 3'600'000.0;
    const auto seeds = static_cast<double>(r.seeds_run);
    return fmt::format("{:.2f} seeds/s wall{}, {:.0f} seeds per core-hour ({:.1f} s per seed)",
                       wall_s > 0 ? seeds / wall_s : 0.0,
                       jobs > 0 ? fmt::format(" with {} jobs", jobs) : "",
                       busy_h > 0 ? seeds / busy_h : 0.0,
                       seeds > 0 ? static_cast<double>(r.busy_ms) / 1000.0 / seeds : 0.0);
}

std::string coverage_text(const sim::ExploreResult& r) {
    std::string out =
        fmt::format("probe coverage (seeds that hit each probe, of {}):\n", r.seeds_run);
    for (std::size_t i = 0; i < kProbeCount; ++i) {
        out +=
            fmt::format("  {:<45} {:>8}\n", probe_phrase(static_cast<Probe>(i)), r.probe_seeds[i]);
    }
    std::vector<std::string_view> never;
    for (const auto probe : sim::never_hit_probes(r))
        never.push_back(probe_phrase(probe));
    if (never.empty())
        return out + "every probe was hit\n";
    return out + fmt::format("never hit ({} of {}): {}\n", never.size(), kProbeCount,
                             fmt::join(never, ", "));
}

std::string failures_text(const sim::ExploreResult& r) {
    std::string out;
    for (const auto& f : r.failures) {
        out += fmt::format("  seed={} index={} {}: {}\n", f.seed, f.index, f.scenario,
                           fmt::join(f.checkers, ", "));
        for (std::size_t i = 0; i < f.checkers.size(); ++i)
            out += indent(fmt::format("{}: {}", f.checkers[i], f.summaries[i]), "    ") + "\n";
        out += f.file.empty() ? "    replay: run again with --out DIR, then scaleup run "
                                "DIR/" +
                                    f.scenario + ".json\n"
                              : fmt::format("    replay: scaleup run {}\n", f.file);
    }
    return out;
}

}  // namespace

std::string format_explore_summary(const sim::ExploreResult& r, unsigned jobs) {
    std::string out = fmt::format("\nexplore summary: base {} ({}), seed-from {}, {} of {} seeds\n",
                                  r.base, shards_text(r), r.seed_from, r.seeds_run, r.seeds);
    out += fmt::format("seeds: {} run, {} failed\n", r.seeds_run, r.failures.size());
    out += failures_text(r);
    out += fmt::format("determinism spot-checks ({}% of seeds): {} run, {} failed\n",
                       r.recheck_percent, r.determinism_checks, r.determinism_failures);
    out += fmt::format("simulated events: {}\n", r.events);
    out += fmt::format("speed: {}\n", speed_text(r, jobs));
    return out + coverage_text(r);
}

int explore_exit_code(const sim::ExploreResult& result, bool require_coverage) {
    if (!result.failures.empty())
        return 1;
    return require_coverage && !sim::never_hit_probes(result).empty() ? 1 : 0;
}

int explore_command(const ExploreCommandOptions& options) {
    sim::Scenario base;
    sim::SeedPlan plan;
    sim::ExploreSettings settings;
    try {
        base = sim::load_scenario_file(options.scenario);
        plan.seed_from = options.seed_from;
        plan.seeds = options.seeds;
        sim::parse_shard(options.shard, plan);
        if (options.recheck_percent > 100)
            throw sim::ExploreError("--recheck-percent: expected 0..100");
        if (!options.out_dir.empty())
            std::filesystem::create_directories(options.out_dir);
    } catch (const std::exception& e) {
        fmt::print(stderr, "error: {}\n", e.what());
        if (options.scenario == ExploreCommandOptions{}.scenario &&
            !std::filesystem::exists(options.scenario))
            fmt::print(stderr,
                       "(the default base is relative to the repository root: run from "
                       "there, or name a scenario file)\n");
        return 2;
    }
    settings.recheck_percent = options.recheck_percent;
    const unsigned jobs =
        options.jobs > 0 ? options.jobs : std::max(1U, std::thread::hardware_concurrency());
    if (!options.json)
        print_header(options, base, plan, jobs);

    auto result = sim::start_result(base, plan, settings);
    Progress progress(!options.json && isatty(STDOUT_FILENO) == 1, plan.indices().size());
    bool write_failed = false;
    const auto start = Clock::now();
    RunningSeeds running(options.out_dir);
    run_in_seed_order(base, plan, settings, jobs, running,
                      [&](const sim::SeedOutcome& o, std::int64_t ms) {
                          std::string file;
                          if (!o.passed && !options.out_dir.empty()) {
                              try {
                                  file = sim::write_seed_document(options.out_dir, o);
                              } catch (const sim::ExploreError& e) {
                                  fmt::print(stderr, "error: {}\n", e.what());
                                  write_failed = true;
                              }
                          }
                          sim::record_seed(result, o, file);
                          result.busy_ms += ms;
                          if (!options.json)
                              progress.seed_done(o, file);
                      });
    result.wall_ms = ms_since(start);
    progress.finish();

    if (!options.out_dir.empty()) {
        const auto path = fmt::format("{}/explore-shard-{}-of-{}.json", options.out_dir, plan.shard,
                                      plan.shard_count);
        if (!write_text_file(path, sim::to_json(result).dump(2) + "\n")) {
            fmt::print(stderr, "error: cannot write {}\n", path);
            write_failed = true;
        } else if (!options.json) {
            fmt::print("shard result: {}\n", path);
        }
    }
    if (options.json)
        fmt::print("{}\n", sim::to_json(result).dump(2));
    else
        fmt::print("{}", format_explore_summary(result, jobs));
    return write_failed ? 2 : explore_exit_code(result, options.require_coverage);
}

}  // namespace scaleup::app
