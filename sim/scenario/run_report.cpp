#include "sim/scenario/run_report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "sim/runtime/trace_recorder.hpp"

namespace scaleup::sim {

namespace {
std::string xml_escape(const std::string& text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&apos;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string sim_time_text(Duration d) {
    const auto total = std::chrono::duration_cast<std::chrono::seconds>(d).count();
    return fmt::format("{}h{:02d}m{:02d}s", total / 3600, (total / 60) % 60, total % 60);
}
}  // namespace

std::string format_table(const std::vector<RunReport>& runs) {
    std::string out = fmt::format(
        "{:<34} {:>20} {:<7} {:>6} {:>5} {:>5} {:>8} {:>9} {:>6} {:>10} {:>10} {:>8}  {}\n",
        "scenario", "seed", "verdict", "queued", "ran", "lost", "dead-ltr", "launched", "orphan",
        "max-runner", "sim-time", "wall-ms", "trace-hash");
    for (const auto& r : runs) {
        out += fmt::format(
            "{:<34} {:>20} {:<7} {:>6} {:>5} {:>5} {:>8} {:>9} {:>6} {:>10} {:>10} {:>8}  {}\n",
            r.scenario.substr(0, 34), r.seed, r.passed ? "PASS" : "FAIL", r.jobs_queued, r.jobs_ran,
            r.jobs_lost, r.jobs_dead_lettered, r.instances_launched, r.instances_orphaned,
            r.max_runners_seen, sim_time_text(r.sim_time), r.wall_time_ms,
            format_hash(r.trace_hash));
    }
    return out;
}

std::string format_failures(const std::vector<RunReport>& runs) {
    std::string out;
    for (const auto& r : runs) {
        for (const auto& c : r.checkers) {
            if (c.passed)
                continue;
            out += fmt::format("FAIL {} (seed {}): {}: {}\n", r.scenario, r.seed, c.checker,
                               c.summary);
            for (const auto& finding : c.findings)
                out += fmt::format("    {}\n", finding);
            out += fmt::format("  reproduce: build/bin/scaleup run {} --seed {}\n", r.file, r.seed);
        }
    }
    return out;
}

namespace {
nlohmann::json probe_hits_json(const RunReport& r) {
    nlohmann::json hits = nlohmann::json::object();
    for (std::size_t i = 0; i < kProbeCount; ++i)
        hits[std::string(probe_id(static_cast<Probe>(i)))] = r.probe_hits[i];
    return hits;
}
}  // namespace

std::string format_json(const std::vector<RunReport>& runs) {
    nlohmann::json doc;
    doc["runs"] = nlohmann::json::array();
    bool all_passed = true;
    for (const auto& r : runs) {
        nlohmann::json checkers = nlohmann::json::array();
        for (const auto& c : r.checkers) {
            checkers.push_back({{"checker", c.checker},
                                {"passed", c.passed},
                                {"summary", c.summary},
                                {"findings", c.findings}});
        }
        doc["runs"].push_back(
            {{"scenario", r.scenario},
             {"file", r.file},
             {"seed", r.seed},
             {"passed", r.passed},
             {"jobs",
              {{"queued", r.jobs_queued},
               {"ran", r.jobs_ran},
               {"cancelled", r.jobs_cancelled},
               {"lost", r.jobs_lost},
               {"dead_lettered", r.jobs_dead_lettered}}},
             {"instances",
              {{"launched", r.instances_launched}, {"orphaned", r.instances_orphaned}}},
             {"max_runners_seen", r.max_runners_seen},
             {"sim_time_seconds",
              std::chrono::duration_cast<std::chrono::seconds>(r.sim_time).count()},
             {"wall_time_ms", r.wall_time_ms},
             {"events", r.events},
             {"trace_hash", format_hash(r.trace_hash)},
             {"options", r.options},
             {"probes", probe_hits_json(r)},
             {"checkers", checkers}});
        all_passed = all_passed && r.passed;
    }
    doc["passed"] = all_passed;
    return doc.dump(2) + "\n";
}

std::string format_junit(const std::vector<RunReport>& runs) {
    int failures = 0;
    for (const auto& r : runs)
        failures += r.passed ? 0 : 1;
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += fmt::format("<testsuite name=\"scaleup scenarios\" tests=\"{}\" failures=\"{}\">\n",
                       runs.size(), failures);
    for (const auto& r : runs) {
        out += fmt::format(
            "  <testcase classname=\"scenarios\" name=\"{} (seed {})\" time=\"{}.{:03d}\">\n",
            xml_escape(r.scenario), r.seed, r.wall_time_ms / 1000, r.wall_time_ms % 1000);
        for (const auto& c : r.checkers) {
            if (c.passed)
                continue;
            std::string body;
            for (const auto& f : c.findings)
                body += f + "\n";
            body += fmt::format("reproduce: build/bin/scaleup run {} --seed {}\n", r.file, r.seed);
            out += fmt::format("    <failure message=\"{}: {}\">{}</failure>\n",
                               xml_escape(c.checker), xml_escape(c.summary), xml_escape(body));
        }
        out += fmt::format("    <system-out>trace hash {}, {} events</system-out>\n",
                           format_hash(r.trace_hash), r.events);
        out += "  </testcase>\n";
    }
    out += "</testsuite>\n";
    return out;
}

}  // namespace scaleup::sim
