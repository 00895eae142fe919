#!/usr/bin/env bash
# Writes harness/brokerconfigs/<version>.txt: the broker config names of the node image's Kafka,
# which the harness checks --broker-config keys against before any container starts (the
# brokers' DescribeConfigs check after start stays). Run after images/build.sh whenever the
# Kafka version changes:   bash images/broker-config-keys.sh [3.9.2]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
version="${1:-3.9.2}"
out="harness/brokerconfigs/$version.txt"
mkdir -p "$(dirname "$out")"
docker run --rm --network none -v "$PWD/images/ListBrokerConfigs.java:/ListBrokerConfigs.java:ro" \
  --entrypoint java "kafkaesque/node:$version" -cp '/opt/kafkaesque/libs/*' /ListBrokerConfigs.java >"$out.tmp"
[ "$(wc -l <"$out.tmp")" -gt 100 ] || { echo "broker-config-keys: too few names in $out.tmp" >&2; exit 1; }
mv "$out.tmp" "$out"
echo "wrote $out ($(wc -l <"$out") names)"
