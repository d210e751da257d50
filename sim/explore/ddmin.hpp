// ddmin (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing Input", 2002): the
// delta-debugging search for a 1-minimal subset of a list that still fails. The shrinker runs it
// over a scenario's faults, bursts, owners, repos and label sets.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace scaleup::sim {

/// Indices into the list being shrunk, ascending.
using Subset = std::vector<std::size_t>;

/// A subset of `items` (which is known to fail) that still fails and from which no single chunk
/// at the finest granularity tried can be removed. `fails` is asked about subsets of at least
/// `min_size` items only; it is asked about the empty subset first when `min_size` is 0 (the
/// failure may need none of them). Asks at most O(|items|^2) questions, O(log |items|) when one
/// item alone causes the failure.
Subset ddmin(Subset items, std::size_t min_size, const std::function<bool(const Subset&)>& fails);

}  // namespace scaleup::sim
