#!/usr/bin/env bash
# Times `strata analyze` on each shipped model and its full suite: every
# analysis together (--analysis all, default settings), each analysis on its
# own, and the patching sweep with the clean run's cache reused below the
# patched layer (reuse_cache true) and recomputed from the start (false).
# One run each: wall time, which depends on whatever else the machine is
# doing (the load average is printed with the figures), and CPU time. The native build folder
# defaults to the preset's (build/native); STRATA_NATIVE_BUILD chooses another.
# STRATA_BENCH_ANALYSES=a,b times only those analyses (no "all", no patching
# variants). The circuits analysis's CPU time per model is repeated at the end
# (its target: under 60 CPU-seconds per shipped model with the defaults).
#   bash scripts/bench-analyze.sh [MODEL...]      default: every model in models/
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-builds.sh
build_native strata >/dev/null
strata="$native/strata"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

models=("$@")
[ ${#models[@]} -gt 0 ] || models=($(for d in models/*/; do [ -f "$d/config.json" ] && basename "$d"; done))
analyses=$("$strata" analyze --list | awk '{print $1}')
only=${STRATA_BENCH_ANALYSES:-}
[ -z "$only" ] || analyses=$(tr ',' '\n' <<<"$only")
circuits_summary=()

# time_run LABEL ARGS...: runs strata analyze; prints its wall time and CPU
# time (user + system: what it costs on an idle core, whatever the load)
time_run() {
  local label=$1; shift
  local TIMEFORMAT='%R %U %S' times
  times=$( { time "$strata" analyze "$@" --out "$out/report.json" 2>/dev/null; } 2>&1 )
  read -r real user sys <<<"$times"
  cpu=$(awk "BEGIN {print $user + $sys}")
  printf '  %-30s wall %7.1f s   cpu %7.1f s   report %8s bytes\n' "$label" "$real" "$cpu" \
    "$(stat -c %s "$out/report.json")"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for model in "${models[@]}"; do
  dir=models/$model
  items=$(/usr/bin/python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['items']))" "$dir/suite.json")
  echo "== $model ($items suite items)"
  common=(--model "$dir" --suite "$dir/suite.json" --seed 0)
  [ -n "$only" ] || time_run "all" "${common[@]}" --analysis all
  for name in $analyses; do
    time_run "$name" "${common[@]}" --analysis "$name"
    [ "$name" != circuits ] || circuits_summary+=("$(printf '  %-24s circuits cpu %7.1f s' "$model" "$cpu")")
  done
  if [ -z "$only" ] && grep -qx patching <<<"$analyses"; then
    for reuse in true false; do
      echo "{\"patching\": {\"reuse_cache\": $reuse}}" >"$out/settings.json"
      time_run "patching, reuse_cache $reuse" "${common[@]}" --analysis patching --settings "$out/settings.json"
    done
  fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ${#circuits_summary[@]} -gt 0 ]; then
  echo "circuits analysis, default settings (target: under 60 CPU-seconds per model):"
  printf '%s\n' "${circuits_summary[@]}"
fi
