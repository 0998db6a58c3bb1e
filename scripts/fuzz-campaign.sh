#!/usr/bin/env bash
# A fuzzing campaign: every libFuzzer target (or the ones named) runs until it
# has used CPU_SECONDS of CPU time (default 900: 15 CPU-minutes), under nice,
# JOBS targets at a time, on a scratch copy of its corpus seeded with
# tests/fuzz/corpus/NAME, tests/data (the fixtures and every handcrafted bad
# file) and the shipped models. Then the inputs that raised coverage are merged
# (libFuzzer -merge=1, at most 64 KiB each) into tests/fuzz/corpus/NAME, and
# the figures go to a results file.
#
#   bash scripts/fuzz-campaign.sh [--no-build] [CPU_SECONDS] [NAME...]
#
# --no-build runs the fuzz binaries already built (while the tree changes under
# a running campaign).
#
# Environment: STRATA_FUZZ_BUILD (default build/sanitize) is the sanitizer
# build with STRATA_FUZZ=ON; STRATA_FUZZ_JOBS (default 2) targets run at once;
# STRATA_FUZZ_RESULTS (default tests/fuzz/campaign-results.md) gets the table;
# STRATA_FUZZ_WALL (default 4 x CPU_SECONDS) caps each target's wall-clock time
# on a machine too busy to give it the CPU time.
# Exits non-zero if any target crashed; the crashing input is kept in
# $STRATA_FUZZ_BUILD/fuzz-campaign/NAME/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
build_first=1
if [ "${1:-}" = --no-build ]; then
  build_first=0
  shift
fi
cpu_seconds=${1:-900}
shift || true
build=${STRATA_FUZZ_BUILD:-build/sanitize}
jobs=${STRATA_FUZZ_JOBS:-2}
results=${STRATA_FUZZ_RESULTS:-tests/fuzz/campaign-results.md}
wall_cap=${STRATA_FUZZ_WALL:-$((cpu_seconds * 4))}
max_len=65536

# The targets are the ones tests/fuzz/CMakeLists.txt builds.
read -r -a all_targets <<<"$(sed -n 's/^set(STRATA_FUZZ_TARGETS \(.*\))$/\1/p' tests/fuzz/CMakeLists.txt)"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

if [ ! -f "$build/CMakeCache.txt" ]; then
  [ "$build" = build/sanitize ] || { echo "fuzz-campaign: $build is not configured (configure it like the sanitize preset)" >&2; exit 1; }
  cmake --preset sanitize >/dev/null
fi
[ "$build_first" = 0 ] || cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz-}"

# Runs one target until its process has used $cpu_seconds of CPU (utime+stime,
# read from /proc), then interrupts it; libFuzzer prints its final figures on
# SIGINT. The wall-clock cap stops a starved run. libFuzzer's -timeout and
# -report_slow_units count wall-clock time, so both are generous: a process at
# nice 19 on a busy machine can wait seconds for the CPU in the middle of an
# input that needs milliseconds (at the default 10 s, four inputs that run in
# 7 ms were once written out as slow units). For the same reason a campaign
# must not be paused (SIGSTOP) for longer than -timeout: on resuming, libFuzzer
# reports the input it was running as a timeout and the run ends there.
run_target() {
  local name=$1 dir="$build/fuzz-campaign/$1"
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp tests/fuzz/corpus/"$name"/* "$dir/corpus/" 2>/dev/null || true
  cat tests/fuzz/"$name".dict tests/fuzz/json.dict >"$dir/dict"
  local start=$SECONDS
  ASAN_OPTIONS=detect_leaks=1 nice -n 19 "$build/tests/fuzz/fuzz-$name" "$dir/corpus" tests/data models \
    -dict="$dir/dict" -max_total_time=$wall_cap -max_len=$max_len -rss_limit_mb=2048 -timeout=300 -report_slow_units=300 \
    -artifact_prefix="$dir/artifacts/" -print_final_stats=1 >"$dir/log" 2>&1 &
  local pid=$! ticks clk cpu=0
  clk=$(getconf CLK_TCK)
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || break
    cpu=$((ticks / clk))
    if [ "$cpu" -ge "$cpu_seconds" ]; then
      kill -INT "$pid" 2>/dev/null || true
      break
    fi
  done
  local status=0
  wait "$pid" || status=$?
  echo "$cpu $((SECONDS - start)) $status" >"$dir/time"
}

# Merges the inputs that add coverage into the committed corpus: the merge
# starts from the committed corpus and the test files, so only inputs that add
# something beyond them are copied, and none over $max_len bytes.
merge_target() {
  local name=$1 dir="$build/fuzz-campaign/$1"
  rm -rf "$dir/merged" "$dir/big"
  mkdir -p "$dir/merged" "$dir/big"
  cp tests/fuzz/corpus/"$name"/* "$dir/merged/" 2>/dev/null || true
  find tests/data models -type f -size -$((max_len + 1))c | while read -r f; do cp "$f" "$dir/merged/seed-${f//\//_}"; done
  ls "$dir/merged" | sort >"$dir/before"
  find "$dir/corpus" -type f -size +$((max_len - 1))c -exec mv -t "$dir/big/" {} +
  ASAN_OPTIONS=detect_leaks=1 nice -n 19 "$build/tests/fuzz/fuzz-$name" -merge=1 -max_len=$max_len -timeout=300 \
    -rss_limit_mb=2048 "$dir/merged" "$dir/corpus" >"$dir/merge.log" 2>&1
  ls "$dir/merged" | sort | comm -13 "$dir/before" - >"$dir/added"
  mkdir -p tests/fuzz/corpus/"$name"
  while read -r f; do cp "$dir/merged/$f" tests/fuzz/corpus/"$name"/; done <"$dir/added"
}

status=0
running=0
for name in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  run_target "$name" &
  running=$((running + 1))
done
wait

{
  echo "Fuzzing campaign, $(date -u +%Y-%m-%d), ${cpu_seconds} CPU-seconds per target (\`bash scripts/fuzz-campaign.sh $cpu_seconds\`; $jobs at a time under nice on $(nproc) shared cores)"
  echo
  echo "| target | executions | exec/s (CPU) | cov | ft | corpus (files) | CPU s | wall s | crashes | merged into tests/fuzz/corpus |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} >"$results"
for name in "${targets[@]}"; do
  dir="$build/fuzz-campaign/$name"
  read -r cpu wall exit_code <"$dir/time"
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$dir/log" | grep -oE '[0-9]+$' || echo 0)
  last=$(grep -E '^#[0-9]+.*cov: ' "$dir/log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo '?')
  ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo '?')
  corp=$(grep -oE 'corp: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo '?')
  crashes=$(find "$dir/artifacts" -type f | wc -l)
  # libFuzzer exits 72 when interrupted at the CPU budget, 0 at the wall cap.
  if [ "$crashes" -gt 0 ] || { [ "$exit_code" != 0 ] && [ "$exit_code" != 72 ]; }; then
    status=1
    echo "fuzz-$name: CRASH (exit $exit_code), input kept in $dir/artifacts:" >&2
    grep -E 'ERROR|SUMMARY|runtime error' "$dir/log" | head -5 >&2
  fi
  added=0
  if [ "$crashes" -eq 0 ]; then
    merge_target "$name"
    added=$(wc -l <"$dir/added")
  fi
  echo "| $name | $runs | $((runs / (cpu > 0 ? cpu : 1))) | $cov | $ft | $corp | $cpu | $wall | $crashes | $added new |" >>"$results"
  echo "fuzz-$name: $runs executions in ${cpu} CPU-s (${wall} s), cov $cov ft $ft, corpus $corp, crashes $crashes, $added inputs merged"
done
exit $status
