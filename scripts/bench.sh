#!/usr/bin/env bash
# Runs the whole benchmark suite and writes tests/bench/results/latest.{md,json}:
# the engine against ONNX Runtime Web (headless Chromium) and against a PyTorch
# reference run the TransformerLens way (one thread), kernel efficiency against
# a measured wasm SIMD peak, how the cost grows with sequence length and model
# size, and the page's load time and size. Each figure is printed with its
# target. Takes a few minutes; nothing here is a pass/fail test.
#
# Comparisons between processes (PyTorch against the engine, the GPT-2 path
# against the LLaMA path) run in rounds that alternate the two sides (A, B, A,
# B, ...); the report gives the median of the per-round ratios and their
# spread. The load average is recorded at the start and the end, and the
# report warns when the machine was busy (a 1-minute load above half the cores
# before the run began): figures from a busy machine are not to be quoted.
#
#   bash scripts/bench.sh
#
# Environment: STRATA_NATIVE_BUILD (default build/native), STRATA_WASM_BUILD
# (default build/wasm) and STRATA_SITE_DIR (default web/dist) choose the build
# folders; the site is rebuilt there when it is missing or carries another
# engine. STRATA_BENCH_OUT (default tests/bench/results) is where the results
# go. STRATA_BENCH_QUICK=1 skips the largest configurations; STRATA_BENCH_ROUNDS
# (default 5) is the number of alternating rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-builds.sh
site=${STRATA_SITE_DIR:-web/dist}
out=${STRATA_BENCH_OUT:-tests/bench/results}
quick=${STRATA_BENCH_QUICK:-0}
rounds=${STRATA_BENCH_ROUNDS:-5}
python=/usr/bin/python3  # Debian's interpreter: it has torch and numpy

# --- builds ------------------------------------------------------------------
build_native bench-forward
build_wasm strata-engine bench-matmul bench-forward
if [ ! -f "$site/index.html" ] || ! cmp -s "$wasm/bindings/strata-engine.wasm" "$site/engine/strata-engine.wasm"; then
  STRATA_ENGINE_DIR="$wasm/bindings" STRATA_SITE_DIR="$site" bash scripts/build-site.sh
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/raw" "$work/ckpt" "$out"
native_bench="$native/tests/bench/bench-forward"
wasm_bench=(node --no-experimental-fetch "$wasm/tests/bench/bench-forward.js")
say() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
load1=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load1" -v c="$(nproc)" 'BEGIN { exit !(l > c / 2) }'; then
  say "WARNING: the machine is busy (1-minute load $load1 on $(nproc) cores); ratios between processes will not hold"
fi
# record NAME COMMAND...: the command's JSON output goes to raw/NAME.json.
record() {
  local name=$1
  shift
  "$@" >"$work/raw/$name.json"
}

# --- the machine ---------------------------------------------------------------
jq -n --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
  --argjson cores "$(nproc)" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" --arg node "$(node --version)" \
  --arg commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  '{date: $date, cpu: $cpu, cores: $cores, load_start: $load, node: $node, commit: $commit}' >"$work/raw/machine-start.json"

# --- random GPT-2-shaped checkpoints ---------------------------------------------
sizes="2x64 4x128 6x256 8x512 12x768"
[ "$quick" = 1 ] && sizes="2x64 4x128 6x256"
for s in $sizes; do
  $python tests/bench/make-checkpoint.py "$work/ckpt/gpt2-$s" "${s%x*}" "${s#*x}" >/dev/null
done
# The largest again in BF16, for the page's memory target (weights kept 16 bits wide).
largest=${sizes##* }
$python tests/bench/make-checkpoint.py "$work/ckpt/gpt2-$largest-bf16" "${largest%x*}" "${largest#*x}" bf16 >/dev/null
say "checkpoints: $sizes, $largest in BF16"

# --- kernels -------------------------------------------------------------------
say "kernels (wasm, node)"
record kernels node --no-experimental-fetch "$wasm/tests/bench/bench-matmul.js" --json

# --- engine vs the PyTorch reference on the shipped models ---------------------------
# The sweep's pairs: the patching analysis's selection, items_per_kind of every non-optional kind.
per_kind=1
shipped=()
for dir in models/*/; do
  [ -f "$dir/model.onnx" ] && shipped+=("$(basename "$dir")")
done
for m in "${shipped[@]}"; do
  record "pairs-$m" "$native_bench" pairs --model "models/$m" --items-per-kind $per_kind
  record "native-sweep-$m" "$native_bench" sweep --model "models/$m" --items-per-kind $per_kind --reuse 1 --recovery 1
  record "native-analyze-$m" "$native_bench" analyze --model "models/$m" --items-per-kind $per_kind --reuse 1
  record "wasm-analyze-$m" "${wasm_bench[@]}" analyze --model "models/$m" --items-per-kind $per_kind --reuse 1
  record "wasm-analyze-noreuse-$m" "${wasm_bench[@]}" analyze --model "models/$m" --items-per-kind $per_kind --reuse 0
done
# Rounds: each side once per round, in turn, so that a change in the machine's
# load falls on both sides alike.
for r in $(seq 1 "$rounds"); do
  for m in "${shipped[@]}"; do
    say "round $r/$rounds: PyTorch and the engine on $m"
    record "torch-$m-r$r" $python tests/bench/torch-bench.py "models/$m" "$work/raw/pairs-$m.json" --repeats 11
    record "native-forward-$m-r$r" "$native_bench" forward --model "models/$m" --capture all
    record "wasm-forward-$m-r$r" "${wasm_bench[@]}" forward --model "models/$m" --capture all
  done
  say "round $r/$rounds: the patching sweep in Chromium"
  record "browser-sweep-r$r" node tests/bench/browser-bench.mjs --engine "$wasm/bindings" --site "$site" --only sweep \
    --pairs-dir "$work/raw" --items-per-kind $per_kind
done

# --- cost growth (wasm under node, one process per configuration) ----------------------
lengths="8 32 128 512"
for n in $lengths; do
  say "growth: $n tokens"
  record "growth-len-forward-$n" "${wasm_bench[@]}" forward --model "$work/ckpt/gpt2-4x128" --tokens "$n" --capture all --repeats 5 --warmup-ms 0
  record "growth-len-sweep-$n" "${wasm_bench[@]}" sweep --model "$work/ckpt/gpt2-4x128" --tokens "$n" --reuse 1 --positions-per-layer 2
done
for s in $sizes; do
  say "growth: gpt2-$s"
  record "growth-size-forward-$s" "${wasm_bench[@]}" forward --model "$work/ckpt/gpt2-$s" --tokens 64 --capture all --repeats 2 --warmup-ms 0
  record "growth-size-sweep-$s" "${wasm_bench[@]}" sweep --model "$work/ckpt/gpt2-$s" --tokens 64 --reuse 1 --positions-per-layer 1
done

# --- in headless Chromium ----------------------------------------------------------
say "Chromium: engine vs ONNX Runtime Web, checkpoints, threads, page load"
page_ckpt=gpt2-$largest,gpt2-$largest-bf16
record browser node tests/bench/browser-bench.mjs --engine "$wasm/bindings" --site "$site" \
  --only compare,checkpoint,threads,studyview,pageload --checkpoints "$work/ckpt" --ckpt "$page_ckpt" --lengths 128

jq -n --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" '{load_end: $load}' >"$work/raw/machine-end.json"
node tests/bench/report.mjs "$work/raw" "$out"
