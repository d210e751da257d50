#include "sim/checkers/checker.hpp"

namespace scaleup::sim {

std::vector<std::unique_ptr<Checker>> all_checkers() {
    std::vector<std::unique_ptr<Checker>> out;
    out.push_back(make_no_job_lost_checker());
    out.push_back(make_liveness_checker());
    out.push_back(make_no_orphans_checker());
    out.push_back(make_capacity_checker());
    out.push_back(make_ack_after_durability_checker());
    out.push_back(make_token_hygiene_checker());
    out.push_back(make_accounted_outcomes_checker());
    return out;
}

std::unique_ptr<Checker> make_checker(std::string_view name) {
    for (auto& checker : all_checkers()) {
        if (checker->name() == name)
            return std::move(checker);
    }
    return nullptr;
}

std::vector<std::string> checker_names() {
    std::vector<std::string> names;
    for (const auto& checker : all_checkers())
        names.emplace_back(checker->name());
    return names;
}

void add_finding(CheckerResult& result, const CheckerSettings& settings, std::string finding) {
    if (result.findings.size() < settings.max_findings)
        result.findings.push_back(std::move(finding));
}

}  // namespace scaleup::sim
