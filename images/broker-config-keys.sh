#!/usr/bin/env bash
# Prints the broker config names a node image's Kafka knows, one a line, sorted: the image's
# io.kafkaesque.broker-config-keys label (gzip + base64 of the list), which images/build.sh lists
# from the version's jars with images/ListBrokerConfigs.java. The cluster package reads the same
# label to check --broker-config keys before any container starts.
#   bash images/broker-config-keys.sh [3.9.2]      (after images/build.sh 3.9.2)
set -euo pipefail
version="${1:-3.9.2}"
image="kafkaesque/node:$version"
keys=$(docker image inspect -f '{{ index .Config.Labels "io.kafkaesque.broker-config-keys" }}' "$image" 2>/dev/null) ||
  { echo "broker-config-keys: no image $image (build it with images/build.sh $version)" >&2; exit 1; }
[ -n "$keys" ] || { echo "broker-config-keys: $image has no io.kafkaesque.broker-config-keys label (rebuild it with images/build.sh $version)" >&2; exit 1; }
printf '%s' "$keys" | base64 -d | gunzip
