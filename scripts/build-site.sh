#!/usr/bin/env bash
# Writes the complete static site to web/dist (or STRATA_SITE_DIR): the page (Vite build of web/), the
# methods page (docs/methods.md as methods.html), the engine modules (one thread, threaded,
# and the prediction-only one) copied unchanged into $site/engine/, the shipped models and the natural-language bank.
#
#   bash scripts/build-site.sh
#
# Environment: STRATA_ENGINE_DIR (default build/wasm/bindings) holds
# strata-engine.{js,wasm}, strata-engine-core.{js,wasm} and strata-engine-threads.{js,wasm,worker.js}; STRATA_MODELS_DIR (default models) holds manifest.json
# and one folder per model. STRATA_SITE_DIR (default web/dist) is where the site goes.
set -euo pipefail
cd "$(dirname "$0")/.."
engine_dir="${STRATA_ENGINE_DIR:-build/wasm/bindings}"
models_dir="${STRATA_MODELS_DIR:-models}"
site="$(realpath -m "${STRATA_SITE_DIR:-web/dist}")"
engine_files=(strata-engine-core.js strata-engine-core.wasm strata-engine.js strata-engine.wasm strata-engine-threads.js strata-engine-threads.wasm strata-engine-threads.worker.js)
for f in "${engine_files[@]}"; do
  if [ ! -f "$engine_dir/$f" ]; then
    echo "build-site: $engine_dir/$f is missing; build the engine first (bash scripts/build.sh engine)" >&2
    exit 1
  fi
done
if [ ! -x node_modules/.bin/vite ]; then
  echo "build-site: node_modules/.bin/vite is missing; run npm ci" >&2
  exit 1
fi
node_modules/.bin/vite build --config web/vite.config.js --logLevel warn --outDir "$site" --emptyOutDir
node scripts/render-methods.mjs "$site"
mkdir -p "$site/engine"
for f in "${engine_files[@]}"; do cp "$engine_dir/$f" "$site/engine/"; done
if [ -f "$models_dir/manifest.json" ]; then
  mkdir -p "$site/models"
  cp "$models_dir/manifest.json" "$site/models/"
  for dir in "$models_dir"/*/; do
    name="$(basename "$dir")"
    [ -f "$dir/config.json" ] || continue
    mkdir -p "$site/models/$name"
    for f in config.json model.safetensors tokenizer.json suite.json card.md model.onnx timeline.json; do
      [ -f "$dir/$f" ] && cp "$dir/$f" "$site/models/$name/"
    done
    # A training timeline's checkpoints (config.json and BF16 weights each).
    [ -d "$dir/checkpoints" ] && cp -r "$dir/checkpoints" "$site/models/$name/"
  done
else
  echo "build-site: no $models_dir/manifest.json; the site has no shipped models" >&2
fi
# The natural-language bank, for suites built in the page (web/src/models/nl-suite.js).
mkdir -p "$site/models/nl-bank"
cp models/nl-bank/bank.json "$site/models/nl-bank/"
echo "site written to $site"
