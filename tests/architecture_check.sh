#!/usr/bin/env bash
# The rules the tree's layout promises (docs/architecture.md), checked on every test run:
#  - core/ includes nothing from sim/ or adapters/; sim/ includes nothing from adapters/;
#  - core/ and sim/ read no wall clock, no unseeded randomness, use no standard distributions,
#    threads or unordered-container iteration in what a simulation runs.
set -u
root=${1:?usage: architecture_check.sh ROOT}
cd "$root" || exit 2
status=0
fail() { echo "architecture check: $1"; status=1; }

hits=$(grep -rnE '#include "(sim|adapters)/' core || true)
[ -n "$hits" ] && fail "core/ includes sim/ or adapters/:"$'\n'"$hits"
hits=$(grep -rnE '#include "adapters/' sim || true)
[ -n "$hits" ] && fail "sim/ includes adapters/:"$'\n'"$hits"
hits=$(grep -rnE 'std::random_device|[^a-z_]rand\(\)|system_clock::now|steady_clock::now|high_resolution_clock|std::thread|std::async|_distribution<|std::mt19937|time\(nullptr\)' core sim || true)
[ -n "$hits" ] && fail "core/ or sim/ uses a banned non-deterministic facility:"$'\n'"$hits"
hits=$(grep -rnE '#include <(boost|openssl|libpq|CLI)' core sim || true)
[ -n "$hits" ] && fail "core/ or sim/ includes a library outside fmt and nlohmann_json:"$'\n'"$hits"
[ $status -eq 0 ] && echo "architecture check: core/ and sim/ follow the layering and determinism rules"
exit $status
