#include "sim/scenario/scenario_runner.hpp"

#include <stdexcept>

#include "sim/checkers/job_classification.hpp"

namespace scaleup::sim {

namespace {
void summarise(World& world, const JobClassification& jobs, RunReport& report) {
    report.jobs_queued = static_cast<std::int64_t>(jobs.jobs.size());
    report.jobs_ran = jobs.count(JobFate::ran);
    report.jobs_cancelled = jobs.count(JobFate::cancelled);
    report.jobs_lost = jobs.count(JobFate::lost);
    report.jobs_dead_lettered = jobs.count(JobFate::dead_lettered);
    report.instances_launched = static_cast<std::int64_t>(world.ec2().instances().size());
    report.max_runners_seen = world.ec2().max_live_instances();
    report.sim_time = world.ends_at() - world.started_at();
    report.events = world.runtime().events_processed();
    for (std::size_t i = 0; i < kProbeCount; ++i)
        report.probe_hits[i] = world.runtime().probes().count(static_cast<Probe>(i));
}
}  // namespace

RunReport run_scenario(const Scenario& scenario, const RunSettings& settings) {
    if (!settings.trace && settings.trace_sink != nullptr)
        throw std::invalid_argument("run_scenario: a trace sink needs the trace on");
    WorldOptions options = scenario.world;
    if (settings.seed)
        options.seed = *settings.seed;
    TraceRecorder::Options trace_options;
    trace_options.sink = settings.trace_sink;
    TraceRecorder trace(trace_options);
    World world(options, settings.trace ? &trace : nullptr);

    RunReport report;
    report.scenario = scenario.name;
    report.file = scenario.file;
    report.seed = options.seed;
    report.options = world.describe();
    if (settings.on_start)
        settings.on_start(scenario, report.options);

    world.run();
    // Once for the report and every checker: classifying reads every queue message's body.
    const JobClassification jobs = classify_jobs(world);
    summarise(world, jobs, report);
    for (const auto& name : scenario.checkers) {
        const auto checker = make_checker(name);
        auto result = checker->check(world, jobs, scenario.settings);
        if (name == "no_orphans") {
            report.instances_orphaned = 0;
            for (const auto& finding : result.findings)
                report.instances_orphaned += finding.empty() ? 0 : 1;
        }
        report.passed = report.passed && result.passed;
        report.checkers.push_back(std::move(result));
    }
    report.trace_hash = settings.trace ? trace.hash() : 0;
    return report;
}

}  // namespace scaleup::sim
