// CapacityPressure: when a consumer last turned a message away for want of capacity: every runner
// slot taken (the ledger's maximum), or EC2 out of instances (CreateFleet fell short for capacity).
//
// Away from a limit, scale-down's pace costs nothing. At one, after a long outage left a backlog,
// it is time the backlog does not drain (exploration found backlogs that missed their bound so):
// - A slot comes back only when a sweep finds its instance gone: an ephemeral runner terminates
//   itself after its job, and the ledger counts its slot until then. With a 60 s interval each
//   slot's turn costs about 30 s more, two or three turns a drain. So scale-down sweeps every
//   `scale_down_pressure_interval` while consumers defer.
// - An idle runner (launched for a job another runner took, or that was cancelled) waits
//   `runner_idle_timeout` for a job of its own owner, holding an instance a waiting job of another
//   owner could use: at an EC2 limit, one launch in five of a drain was such a runner. So
//   while consumers defer, scale-down lets a runner idle only `runner_idle_timeout_under_pressure`.
// One object per control plane; the consumers and scale-down share it by reference.
#pragma once

#include <optional>

#include "core/runtime/time.hpp"

namespace scaleup {

class CapacityPressure {
  public:
    /// A message was turned away for want of a slot or an instance at `at`.
    void note_deferral(Instant at) {
        if (!last_deferral_ || at > *last_deferral_)
            last_deferral_ = at;
    }
    /// Whether a message was turned away at or after `since`.
    bool deferred_since(Instant since) const {
        return last_deferral_.has_value() && *last_deferral_ >= since;
    }

  private:
    std::optional<Instant> last_deferral_;
};

}  // namespace scaleup
