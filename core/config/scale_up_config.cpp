#include "core/config/scale_up_config.hpp"

#include "core/common/json_reader.hpp"

namespace scaleup {

namespace {
constexpr std::int64_t kDay = 86'400;

RetryBudget read_budget(const JsonReader& parent, const std::string& key, RetryBudget fallback) {
    if (!parent.has(key))
        return fallback;
    const JsonReader in = parent.object(key);
    RetryBudget b;
    b.attempts = static_cast<int>(in.integer_or("attempts", fallback.attempts, 1, 20));
    b.base_backoff = in.seconds_or("base_backoff_seconds", fallback.base_backoff, 0, 3600);
    b.max_backoff = in.seconds_or("max_backoff_seconds", fallback.max_backoff, 0, 3600);
    in.reject_unknown_keys();
    return b;
}
}  // namespace

ScaleUpConfig ScaleUpConfig::from_json(const std::string& text) {
    const auto json = parse_json(text);
    const JsonReader in(json, "");
    ScaleUpConfig c;
    c.app_id = in.string_or("app_id", c.app_id);
    c.batch_size = static_cast<int>(in.integer_or("batch_size", c.batch_size, 1, 10));
    c.max_runners = static_cast<int>(in.integer_or("max_runners", c.max_runners, 0, 100'000));
    c.handler_timeout = in.seconds_or("handler_timeout_seconds", c.handler_timeout, 1, 900);
    c.deadline_margin = in.seconds_or("deadline_margin_seconds", c.deadline_margin, 0, 300);
    c.visibility_timeout =
        in.seconds_or("visibility_timeout_seconds", c.visibility_timeout, 0, 12 * 3600);
    c.call_timeout = in.seconds_or("call_timeout_seconds", c.call_timeout, 1, 300);
    c.token_refresh_margin =
        in.seconds_or("token_refresh_margin_seconds", c.token_refresh_margin, 0, 3000);
    c.fresh_token_window = in.seconds_or("fresh_token_window_seconds", c.fresh_token_window, 0, 60);
    c.secondary_rate_limit_default = in.seconds_or("secondary_rate_limit_default_seconds",
                                                   c.secondary_rate_limit_default, 1, 3600);
    c.capacity_retry_delay =
        in.seconds_or("capacity_retry_delay_seconds", c.capacity_retry_delay, 0, 900);
    c.max_retry_delay = in.seconds_or("max_retry_delay_seconds", c.max_retry_delay, 1, 12 * 3600);
    c.reservation_lease = in.seconds_or("reservation_lease_seconds", c.reservation_lease, 1, kDay);
    c.github_retry = read_budget(in, "github_retry", c.github_retry);
    c.aws_retry = read_budget(in, "aws_retry", c.aws_retry);
    c.runner_labels = in.strings_or("runner_labels", c.runner_labels);
    c.org_runners = in.boolean_or("org_runners", c.org_runners);
    c.ephemeral = in.boolean_or("ephemeral", c.ephemeral);
    c.job_queued_check = in.boolean_or("job_queued_check", c.job_queued_check);
    c.runner_name_prefix = in.string_or("runner_name_prefix", c.runner_name_prefix);
    c.runner_group_id = in.integer_or("runner_group_id", c.runner_group_id, 1, INT64_MAX);
    c.fleet_retryable_errors = in.strings_or("fleet_retryable_errors", c.fleet_retryable_errors);
    c.sweeper_lookback =
        in.seconds_or("sweeper_lookback_seconds", c.sweeper_lookback, 60, 3 * kDay);
    c.sweeper_max_redeliveries_per_run = static_cast<int>(in.integer_or(
        "sweeper_max_redeliveries_per_run", c.sweeper_max_redeliveries_per_run, 0, 1000));
    c.sweeper_redelivery_spacing =
        milliseconds(in.integer_or("sweeper_redelivery_spacing_milliseconds",
                                   c.sweeper_redelivery_spacing.count() / 1'000'000, 0, 60'000));
    c.sweeper_queued_only = in.boolean_or("sweeper_queued_only", c.sweeper_queued_only);
    c.reconcile_owners = in.strings_or("reconcile_owners", c.reconcile_owners);
    c.reconcile_min_queued_age =
        in.seconds_or("reconcile_min_queued_age_seconds", c.reconcile_min_queued_age, 0, kDay);
    c.reconcile_inflight_window =
        in.seconds_or("reconcile_inflight_window_seconds", c.reconcile_inflight_window, 0, kDay);
    c.reconcile_max_requeues_per_run = static_cast<int>(in.integer_or(
        "reconcile_max_requeues_per_run", c.reconcile_max_requeues_per_run, 0, 100'000));
    c.runner_boot_timeout =
        in.seconds_or("runner_boot_timeout_seconds", c.runner_boot_timeout, 1, kDay);
    c.runner_idle_timeout =
        in.seconds_or("runner_idle_timeout_seconds", c.runner_idle_timeout, 60, kDay);
    c.scale_down_pressure_interval = in.seconds_or("scale_down_pressure_interval_seconds",
                                                   c.scale_down_pressure_interval, 1, kDay);
    c.runner_idle_timeout_under_pressure =
        in.seconds_or("runner_idle_timeout_under_pressure_seconds",
                      c.runner_idle_timeout_under_pressure, 1, kDay);
    c.webhook_secret = in.string_or("webhook_secret", c.webhook_secret);
    c.intake_budget = in.seconds_or("intake_budget_seconds", c.intake_budget, 2, 60);
    in.reject_unknown_keys();
    c.validate();
    return c;
}

void ScaleUpConfig::validate() const {
    if (runner_labels.empty())
        throw InputError("/runner_labels", "at least one label");
    if (deadline_margin >= handler_timeout) {
        throw InputError("/deadline_margin_seconds", "must be less than handler_timeout_seconds");
    }
    if (github_retry.base_backoff > github_retry.max_backoff) {
        throw InputError("/github_retry/base_backoff_seconds",
                         "must not exceed max_backoff_seconds");
    }
    if (aws_retry.base_backoff > aws_retry.max_backoff) {
        throw InputError("/aws_retry/base_backoff_seconds", "must not exceed max_backoff_seconds");
    }
    for (std::size_t i = 0; i < reconcile_owners.size(); ++i) {
        const std::string& owner = reconcile_owners[i];
        const auto slash = owner.find('/');
        const bool valid =
            !owner.empty() && slash != 0 && slash + 1 != owner.size() &&
            (slash == std::string::npos || owner.find('/', slash + 1) == std::string::npos);
        if (!valid)
            throw InputError("/reconcile_owners/" + std::to_string(i), "\"org\" or \"owner/repo\"");
    }
}

}  // namespace scaleup
