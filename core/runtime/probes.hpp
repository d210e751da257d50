// Coverage probes: named points on the core's fault-handling and retry paths.
//
// A simulation that never takes a path proves nothing about it. Each probe counts how often the
// core reached one such path; `scaleup explore` reports, over a sweep, how many seeds hit each
// probe and which were never hit (`--require-coverage` makes that a failure).
//
// Every probe is declared once, in SCALEUP_PROBES below: its identifier and the phrase reports
// print. The core marks a path with `SCALEUP_PROBE(runtime, identifier);`. Counts live in the
// runtime (an object, never a global), so several simulations can run in one process.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

// X(identifier, "phrase")
#define SCALEUP_PROBES(X)                                                        \
    X(token_mint_single_flight_joined, "token mint single-flight joined")        \
    X(token_mint_failed, "token mint failed")                                    \
    X(token_rejected_remint, "token rejected, re-minted")                        \
    X(github_retry, "GitHub call retried")                                       \
    X(github_rate_limited, "GitHub rate limit honoured")                         \
    X(aws_retry, "AWS call retried")                                             \
    X(capacity_deferred, "capacity deferred")                                    \
    X(fleet_partial, "fleet partial")                                            \
    X(fleet_failed, "fleet launch failed")                                       \
    X(fleet_outcome_recovered, "lost fleet response recovered by tag")           \
    X(config_failed_instance_discarded, "JIT config failed, instance discarded") \
    X(ledger_error, "ledger error")                                              \
    X(already_served, "redelivered message already served")                      \
    X(duplicate_in_batch, "duplicate job in one batch")                          \
    X(dead_lettered, "message dead-lettered")                                    \
    X(handler_deadline, "handler deadline reached")                              \
    X(unexpected_error, "unexpected error kept the message")                     \
    X(job_not_queued, "job no longer queued")                                    \
    X(queued_check_skipped, "queued check skipped, rate budget low")             \
    X(intake_duplicate_delivery, "intake saw a duplicate delivery")              \
    X(intake_enqueued_direct, "intake enqueued directly, ledger down")           \
    X(intake_unavailable, "intake answered 503")                                 \
    X(outbox_send_failed, "outbox send failed")                                  \
    X(sweeper_redelivered, "sweeper redelivered a failed webhook")               \
    X(reconciler_requeued, "reconciler re-queued a stranded job")                \
    X(scale_down_hurried, "scale-down hurried by capacity pressure")             \
    X(scale_down_terminated_idle, "scale-down terminated an idle runner")        \
    X(scale_down_terminated_orphan, "scale-down terminated an orphan instance")  \
    X(scale_down_deleted_ghost, "scale-down deleted a ghost runner")

namespace scaleup {

enum class Probe : std::uint16_t {
#define SCALEUP_PROBE_ENUM(id, phrase) id,
    SCALEUP_PROBES(SCALEUP_PROBE_ENUM)
#undef SCALEUP_PROBE_ENUM
};

inline constexpr std::size_t kProbeCount = 0
#define SCALEUP_PROBE_COUNT(id, phrase) +1
    SCALEUP_PROBES(SCALEUP_PROBE_COUNT)
#undef SCALEUP_PROBE_COUNT
    ;

/// The identifier as written in the list ("fleet_partial").
std::string_view probe_id(Probe probe) noexcept;
/// The phrase reports print ("fleet partial").
std::string_view probe_phrase(Probe probe) noexcept;

/// How often each probe was hit in one runtime.
class ProbeCounts {
  public:
    void hit(Probe probe) noexcept { ++hits_[static_cast<std::size_t>(probe)]; }
    std::uint64_t count(Probe probe) const noexcept {
        return hits_[static_cast<std::size_t>(probe)];
    }

  private:
    std::array<std::uint64_t, kProbeCount> hits_{};
};

}  // namespace scaleup

/// Marks a fault-handling or retry path: `SCALEUP_PROBE(rt_, fleet_partial);`
#define SCALEUP_PROBE(runtime, id) (runtime).probes().hit(::scaleup::Probe::id)
