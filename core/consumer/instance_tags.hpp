// The tags BatchHandler puts on every instance it launches, and ScaleDown reads back to find the
// pool's instances and their runner owner: one contract, one spelling.
#pragma once

namespace scaleup::instance_tags {

inline constexpr const char* kOwner = "scaleup:owner";              // runner owner key
inline constexpr const char* kLabels = "scaleup:labels";            // the pool's labels, joined
inline constexpr const char* kReservation = "scaleup:reservation";  // the ledger reservation

}  // namespace scaleup::instance_tags
