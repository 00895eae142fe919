#!/usr/bin/env bash
# The main job (README): starts a Docker engine and builds the images when missing, builds the
# CLI into bin/kafkaesque, and runs a chaos run. Arguments go to `kafkaesque run`.
# scripts/run.sh --help (or -h, or help) prints `kafkaesque run --help` and starts nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Build the node image of the Kafka release the run asks for (`--kafka-version V` or
# `--kafka-version=V`; the last one wins; default 3.9.2).
kafka_version=3.9.2
args=("$@")
if [ "${1:-}" = help ]; then args=(--help); fi
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
  --) break ;;
  --help | -h) exec go run ./cmd/kafkaesque run --help ;;
  --kafka-version=*) kafka_version=${args[i]#*=} ;;
  --kafka-version) if ((i + 1 < ${#args[@]})); then kafka_version=${args[i + 1]}; i=$((i + 1)); fi ;;
  esac
done

scripts/ensure-docker.sh
# Power faults serve the nodes' data through FUSE (lazyfs): load the module if the kernel has it.
[ -e /dev/fuse ] || modprobe fuse 2>/dev/null || true
images/build.sh "$kafka_version" >/dev/null
go build -o bin/kafkaesque ./cmd/kafkaesque
exec bin/kafkaesque run "$@"
