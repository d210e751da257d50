#!/usr/bin/env bash
# The CI-sized exploration sweep (issue 7, docs/explore.md): 200 seeds of random fault mixes on the
# standard one-hour, 1,000-job scenario, seeded from the commit under test, so every commit runs a
# different but reproducible set. Prints a line per seed, the summary and the probe coverage table;
# failing seeds are written to OUT_DIR as scenario files that `scaleup run` replays.
#
# usage: explore_sweep.sh SCALEUP_BINARY PROJECT_ROOT OUT_DIR
# SCALEUP_EXPLORE_SEEDS and SCALEUP_EXPLORE_JOBS override the seed count (200) and threads (2).
set -u
scaleup=${1:?usage: explore_sweep.sh SCALEUP_BINARY PROJECT_ROOT OUT_DIR}
root=${2:?usage: explore_sweep.sh SCALEUP_BINARY PROJECT_ROOT OUT_DIR}
out=${3:?usage: explore_sweep.sh SCALEUP_BINARY PROJECT_ROOT OUT_DIR}

# Outside a git checkout (a source tarball) the sweep still runs, on a fixed seed set.
seed_from=$(git -C "$root" rev-parse HEAD 2>/dev/null) || seed_from=1
rm -f "$out"/*.json  # the previous sweep's failures and shard result
exec "$scaleup" explore "$root/scenarios/standard-hour-1000-jobs.json" \
  --seeds "${SCALEUP_EXPLORE_SEEDS:-200}" --seed-from "$seed_from" \
  --jobs "${SCALEUP_EXPLORE_JOBS:-2}" --out "$out"
