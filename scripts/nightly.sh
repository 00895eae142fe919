#!/usr/bin/env bash
# The nightly sweep's steps. .github/workflows/nightly.yml runs them on GitHub Actions, and
# ci/workflow_test.go runs that workflow's steps on this machine, so the file does not rot.
#
#   scripts/nightly.sh plan                       the night's seed and sweep id (to $GITHUB_OUTPUT)
#   scripts/nightly.sh shard I/N SEED ID OUT      one shard of the matrix $MATRIX into OUT
#   scripts/nightly.sh merge OUT SHARD_DIR...     the shards' results folded into OUT
#
# Environment: MATRIX (default examples/nightly.yaml); TEST_COUNT and TIME_LIMIT, when set,
# replace the matrix's. A shard exits with its sweep's status (0 valid, 1 anomalies, 2 error,
# 3 unknown); the shard step installs and starts what it needs, as scripts/run.sh does.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
matrix=${MATRIX:-examples/nightly.yaml}
usage="usage: scripts/nightly.sh plan | shard I/N SEED ID OUT | merge OUT SHARD_DIR..."

build_cli() { go build -o bin/kafkaesque ./cmd/kafkaesque; }

case "${1:-}" in
plan)
  # One seed and id for every shard of the night, whichever machine runs it.
  now=$(date -u +%Y%m%d%H%M)
  seed=${SEED:-$now}
  id=${SWEEP_ID:-nightly-${now:0:8}-${now:8:4}}
  echo "seed=$seed"
  echo "id=$id"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then printf 'seed=%s\nid=%s\n' "$seed" "$id" >>"$GITHUB_OUTPUT"; fi
  ;;
shard)
  [ $# -eq 5 ] || { echo "$usage" >&2; exit 2; }
  shard=$2 seed=$3 id=$4 out=$5
  # Docker, debootstrap and lazyfs's FUSE need root (GitHub's runners have passwordless sudo).
  if [ "$(id -u)" != 0 ]; then exec sudo -E env "PATH=$PATH" bash "$0" "$@"; fi
  args=(--matrix "$matrix" --shard "$shard" --seed "$seed" --id "$id" --out "$out")
  [ -z "${TEST_COUNT:-}" ] || args+=(--test-count "$TEST_COUNT")
  [ -z "${TIME_LIMIT:-}" ] || args+=(--time-limit "$TIME_LIMIT")
  build_cli
  scripts/ensure-docker.sh
  [ -e /dev/fuse ] || modprobe fuse 2>/dev/null || true
  mapfile -t versions < <(bin/kafkaesque sweep "${args[@]}" --list-kafka-versions)
  if [ ${#versions[@]} -gt 0 ]; then images/build.sh "${versions[@]}" >/dev/null; fi
  status=0
  bin/kafkaesque sweep "${args[@]}" || status=$?
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && ls "$out"/sweeps/"$id"/summary*.txt >/dev/null 2>&1; then
    { echo "### Shard $shard"; echo '```'; cat "$out"/sweeps/"$id"/summary*.txt; echo '```'; } >>"$GITHUB_STEP_SUMMARY"
  fi
  exit "$status"
  ;;
merge)
  [ $# -ge 3 ] || { echo "$usage" >&2; exit 2; }
  out=$2
  shift 2
  build_cli
  bin/kafkaesque merge --out "$out" "$@"
  ;;
*)
  echo "$usage" >&2
  exit 2
  ;;
esac
