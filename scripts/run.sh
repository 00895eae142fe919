#!/usr/bin/env bash
# The main job (README): starts a Docker engine and builds the images when missing, builds the
# CLI, and runs a chaos run. Arguments go to `kafkaesque run` (see `kafkaesque run --help`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/ensure-docker.sh
images/build.sh >/dev/null
go build -o bin/kafkaesque ./cmd/kafkaesque
exec bin/kafkaesque run "$@"
