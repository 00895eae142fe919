#!/usr/bin/env bash
# Saves a screenshot of a run's HTML report with Debian's headless Chromium, as
# docs/report-screenshot.png was made (from a real acks=1 isolate-leader run):
#   bash scripts/screenshot.sh results/<run-id> docs/report-screenshot.png
# The report is written first when the run directory has none. Nothing leaves the machine:
# the page is self-contained and Chromium's network features are off.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
usage="usage: scripts/screenshot.sh RUN_DIR OUT.png"
dir=${1:?$usage}
out=${2:?$usage}
[ -d "$dir" ] || { echo "screenshot: no run directory $dir" >&2; exit 2; }
if ! command -v chromium >/dev/null 2>&1; then
  echo "screenshot: installing Debian's chromium" >&2
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
fi
[ -f "$dir/index.html" ] || go run ./cmd/kafkaesque report "$dir"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size=1280,2400 \
  --screenshot="$(realpath -m "$out")" "file://$(realpath "$dir")/index.html" 2>/dev/null
echo "wrote $out"
