// CapacityPressure: when a consumer last turned a message away because every runner slot was taken.
//
// A slot comes back only when scale-down finds its instance gone: an ephemeral runner terminates
// itself after its job, and the ledger still counts its slot until the next sweep sees the instance
// missing. Away from the limit that lag costs nothing. At the limit, after a long outage left a
// backlog, every second between a termination and its slot's release is a second a waiting job
// does not run: with a 60 s sweep interval each slot's turn costs about 30 s more, two or three
// turns a drain (exploration found backlogs that missed their bound by that much). So consumers
// note each deferral here, and scale-down sweeps at `scale_down_pressure_interval` while they do.
// One object per control plane; the consumers and scale-down share it by reference.
#pragma once

#include <optional>

#include "core/runtime/time.hpp"

namespace scaleup {

class CapacityPressure {
  public:
    /// A message was deferred for want of a slot at `at`.
    void note_deferral(Instant at) {
        if (!last_deferral_ || at > *last_deferral_)
            last_deferral_ = at;
    }
    /// Whether a message was deferred at or after `since`.
    bool deferred_since(Instant since) const {
        return last_deferral_.has_value() && *last_deferral_ >= since;
    }

  private:
    std::optional<Instant> last_deferral_;
};

}  // namespace scaleup
