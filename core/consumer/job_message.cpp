#include "core/consumer/job_message.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/common/json_reader.hpp"

namespace scaleup {

namespace {
constexpr std::int64_t kMaxId = std::numeric_limits<std::int64_t>::max();
}

JobMessage JobMessage::parse(const std::string& body) {
    const auto json = parse_json(body);
    const JsonReader in(json, "");
    JobMessage m;
    m.job_id = in.integer("job_id", 1, kMaxId);
    m.run_id = in.integer_or("run_id", 0, 0, kMaxId);
    m.owner = in.string("owner");
    m.repo = in.string("repo");
    if (m.owner.empty())
        throw InputError("/owner", "must not be empty");
    if (m.repo.empty())
        throw InputError("/repo", "must not be empty");
    m.owner_type = in.string_or("owner_type", "Organization");
    if (m.owner_type != "Organization" && m.owner_type != "User") {
        throw InputError("/owner_type", "expected \"Organization\" or \"User\"");
    }
    m.labels = in.strings("labels");
    if (m.labels.empty())
        throw InputError("/labels", "a job has at least one label");
    m.installation_id = in.integer_or("installation_id", 0, 0, kMaxId);
    m.delivery_guid = in.string_or("delivery_guid", "");
    m.attempt = static_cast<int>(in.integer_or("attempt", 0, 0, 1000));
    in.reject_unknown_keys();
    return m;
}

std::string JobMessage::to_json() const {
    nlohmann::json j{{"job_id", job_id},
                     {"run_id", run_id},
                     {"owner", owner},
                     {"repo", repo},
                     {"owner_type", owner_type},
                     {"labels", labels},
                     {"installation_id", installation_id}};
    if (!delivery_guid.empty())
        j["delivery_guid"] = delivery_guid;
    if (attempt != 0)
        j["attempt"] = attempt;
    return j.dump();
}

std::vector<std::string> normalise_labels(std::vector<std::string> labels) {
    for (auto& label : labels) {
        std::transform(label.begin(), label.end(), label.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    }
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
    return labels;
}

}  // namespace scaleup
