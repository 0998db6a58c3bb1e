#!/usr/bin/env bash
# Builds the page (its engine module and the site) and serves it at
# http://localhost:8080/ (any static file server would do: the site is a folder
# of files).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh engine
scripts/build-site.sh
echo "serving web/dist at http://localhost:8080/ (Ctrl-C to stop)"
exec /usr/bin/python3 -m http.server 8080 --bind 127.0.0.1 --directory web/dist
