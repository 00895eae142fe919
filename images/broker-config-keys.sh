#!/usr/bin/env bash
# Writes cluster/brokerconfigs/<version>.txt: the broker config names of a node image's Kafka, which
# images/build.sh lists from the version's jars (images/ListBrokerConfigs.java) and stores in the
# image's io.kafkaesque.broker-config-keys label (gzip + base64 of the sorted list). The cluster
# package embeds these files to check --broker-config keys before any container starts.
#   bash images/broker-config-keys.sh [3.9.2]      (after images/build.sh 3.9.2)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
version="${1:-3.9.2}"
image="kafkaesque/node:$version"
out="cluster/brokerconfigs/$version.txt"
keys=$(docker image inspect -f '{{ index .Config.Labels "io.kafkaesque.broker-config-keys" }}' "$image" 2>/dev/null) ||
  { echo "broker-config-keys: no image $image (build it with images/build.sh $version)" >&2; exit 1; }
[ -n "$keys" ] || { echo "broker-config-keys: $image has no io.kafkaesque.broker-config-keys label (rebuild it with images/build.sh $version)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
printf '%s' "$keys" | base64 -d | gunzip >"$out.tmp"
[ "$(wc -l <"$out.tmp")" -gt 100 ] || { echo "broker-config-keys: too few names in $out.tmp" >&2; exit 1; }
mv "$out.tmp" "$out"
echo "wrote $out ($(wc -l <"$out") names)"
