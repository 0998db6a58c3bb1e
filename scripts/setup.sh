#!/usr/bin/env bash
# Installs what Strata needs on Debian 12: the Debian packages that are
# missing and the npm packages pinned by package-lock.json. Safe to run twice:
# it installs nothing that is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev  # native build (clang + its runtimes: sanitizers, libFuzzer)
  emscripten                             # wasm build
  libeigen3-dev nlohmann-json3-dev catch2 libboost-graph-dev
  python3-torch python3-numpy python3-onnx libopenblas0-pthread  # reference, fixtures, model recipe
  chromium-headless-shell                # browser tests and benchmarks (Playwright's headless Chromium)
  jq                                     # benchmarks (scripts/bench.sh)
  openssl                                # a self-signed certificate for the Hub test over HTTPS
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
# npm ci only when node_modules does not match the lockfile.
if ! cmp -s package-lock.json node_modules/.package-lock.json 2>/dev/null; then
  echo "setup: installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
fi
