# Shared by scripts/simulate and scripts/test: install what is missing, configure and build a tree.
# Sourced, not run. Everything comes from Debian 12 packages; nothing is downloaded at build time.

SCALEUP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SCALEUP_PACKAGES=(
  cmake ninja-build g++ clang-14 libclang-rt-14-dev
  libboost-dev nlohmann-json3-dev catch2 libbenchmark-dev libfmt-dev libcli11-dev
  libmimalloc-dev libpq-dev libssl-dev postgresql-15 socat clang-format git
)

log() { printf '==> %s\n' "$*"; }

# Installs missing Debian packages when root; otherwise prints the exact command and exits 2.
ensure_packages() {
  local missing=()
  for p in "${SCALEUP_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "scaleup needs these Debian packages: ${missing[*]}" >&2
    echo "Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
  log "installing ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# How the scripts' trees are built (docs/architecture.md, "Build time"). A unity build compiles a
# target's sources in batches of eight, so the headers and templates they share are compiled once a
# batch, not once a file; debug information is line tables only (`-g1`: enough for profiles and
# sanitizer reports). The release tree serves the benchmarks, so only its test programs are unity
# builds: the benchmarked code is compiled file by file, as for every measurement before.
SCALEUP_RELEASE_TREE=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
  -DSCALEUP_UNITY=TESTS)

# configure_and_build DIR [cmake args...]: configures (again, so changed arguments take effect; an
# unchanged tree rebuilds nothing), then builds incrementally.
configure_and_build() {
  local dir=$1
  shift
  configure_tree "$dir" "$@"
  log "building $dir"
  cmake --build "$SCALEUP_ROOT/$dir" -j "$(nproc)"
}

# configure_tree DIR [cmake args...]: configures DIR only.
configure_tree() {
  local dir=$1
  shift
  log "configuring $dir"
  cmake -S "$SCALEUP_ROOT" -B "$SCALEUP_ROOT/$dir" -G Ninja "$@" >/dev/null
}

# build_release_tree: the release tree `build`, compiled with a profile of how `scaleup` runs
# (profile-guided optimisation, docs/architecture.md): `build-pgo` is the same tree instrumented
# (warnings not errors there: instrumented inlining differs, and the code is compiled again in
# `build`), its `scaleup` runs 16 explored seeds of the standard hour and the scenario library
# once, and `build` is compiled with the profile that wrote. Training runs again only when the
# instrumented program changed. SCALEUP_PGO=0 (or OFF) builds `build` without a profile.
build_release_tree() {
  case "${SCALEUP_PGO:-1}" in
    0 | OFF | off | false)
      configure_and_build build "${SCALEUP_RELEASE_TREE[@]}" -DSCALEUP_PGO=OFF
      return
      ;;
  esac
  local profile="$SCALEUP_ROOT/build-pgo/profile"
  configure_tree build-pgo "${SCALEUP_RELEASE_TREE[@]}" -DSCALEUP_BENCH=OFF -DSCALEUP_WERROR=OFF \
    -DSCALEUP_PGO=GENERATE "-DSCALEUP_PGO_PROFILE=$profile"
  log "building build-pgo (scaleup only)"
  cmake --build "$SCALEUP_ROOT/build-pgo" -j "$(nproc)" --target scaleup
  local trainer="$SCALEUP_ROOT/build-pgo/bin/scaleup"
  if [ ! -e "$profile/trained" ] || [ "$trainer" -nt "$profile/trained" ]; then
    log "training the profile (16 seeds of the standard hour, the scenario library)"
    rm -rf "$profile"
    mkdir -p "$profile"
    train "$trainer" explore "$SCALEUP_ROOT/scenarios/standard-hour-1000-jobs.json" --seeds 16 \
      --seed-from 1 --jobs 1 --recheck-percent 0
    train "$trainer" run "$SCALEUP_ROOT/scenarios"
    if ! compgen -G "$profile/*.gcda" >/dev/null; then
      echo "the instrumented scaleup wrote no profile into $profile" >&2
      exit 1
    fi
    touch "$profile/trained"
  fi
  configure_and_build build "${SCALEUP_RELEASE_TREE[@]}" -DSCALEUP_PGO=USE \
    "-DSCALEUP_PGO_PROFILE=$profile"
}

# train COMMAND...: one training run. A failing seed or scenario (exit 1) still trains, and the
# tests that follow report it; any other exit (a crash, a refused argument) stops the build.
train() {
  local status=0
  "$@" >/dev/null || status=$?
  if [ "$status" -gt 1 ]; then
    echo "training run failed (exit $status): $*" >&2
    exit 1
  fi
}
