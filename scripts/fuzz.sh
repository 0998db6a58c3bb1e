#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 60), one per core at a
# time, on a working copy of its corpus, seeded from tests/fuzz/corpus/NAME and
# tests/data (the fixtures and every handcrafted bad file), with its
# dictionary. Prints executions, coverage and any crash; exits non-zero if a
# target crashed. New inputs that raised coverage stay in
# $build/fuzz-corpus/NAME. The targets are the ones tests/fuzz/CMakeLists.txt
# builds; STRATA_FUZZ_BUILD (default build/sanitize) is the sanitizer build
# that holds them.
#   bash scripts/fuzz.sh            about a minute per target
#   bash scripts/fuzz-campaign.sh   a campaign: 15 CPU-minutes per target, merged into the corpus
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${STRATA_FUZZ_BUILD:-build/sanitize}
if [ ! -f "$build/CMakeCache.txt" ]; then
  [ "$build" = build/sanitize ] || { echo "fuzz: $build is not configured (configure it like the sanitize preset)" >&2; exit 1; }
  cmake --preset sanitize >/dev/null
fi
read -r -a targets <<<"$(sed -n 's/^set(STRATA_FUZZ_TARGETS \(.*\))$/\1/p' tests/fuzz/CMakeLists.txt)"
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz-}"

# Runs one target; its summary line goes to $build/fuzz-NAME.result.
fuzz_one() {
  local name=$1 work=$build/fuzz-corpus/$1 dict=$build/fuzz-$1.dict log=$build/fuzz-$1.log result
  mkdir -p "$work" "$build/fuzz-artifacts"
  cat tests/fuzz/$name.dict tests/fuzz/json.dict >"$dict"  # the format's own words, plus JSON's
  if ASAN_OPTIONS=detect_leaks=1 "$build/tests/fuzz/fuzz-$name" "$work" tests/fuzz/corpus/$name tests/data \
      -dict="$dict" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="$build/fuzz-artifacts/$name-" -print_final_stats=1 >"$log" 2>&1; then
    result=ok
  else
    result=CRASH
  fi
  local runs cov
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo '?')
  echo "fuzz-$name: $result, $runs executions in ${seconds}s, coverage $cov edges" >"$build/fuzz-$name.result"
  [ "$result" = ok ] || grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5 >>"$build/fuzz-$name.result"
}

# One target per core at a time (each is one process).
running=0
for name in "${targets[@]}"; do
  if [ "$running" -ge "$(nproc)" ]; then
    wait -n
    running=$((running - 1))
  fi
  fuzz_one "$name" &
  running=$((running + 1))
done
wait

status=0
for name in "${targets[@]}"; do
  cat "$build/fuzz-$name.result"
  grep -q ': ok,' "$build/fuzz-$name.result" || status=1
done
exit $status
