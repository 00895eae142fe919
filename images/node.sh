#!/bin/sh
# Entry point of the Kafkaesque node image. The harness writes the role's config file into
# /etc/kafkaesque before the first start; a restart reuses it and the data under /data.
set -eu
role="${1:-}"
classpath='/opt/kafkaesque/libs/*'
log4j='-Dlog4j.configuration=file:/opt/kafkaesque/log4j.properties'
# Small heaps and the serial collector: a node shares two cores with its whole cluster.
java_opts="${JAVA_OPTS:--Xms128m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.net.preferIPv4Stack=true}"

case "$role" in
zookeeper)
  cfg=/etc/kafkaesque/zoo.cfg
  [ -f "$cfg" ] || { echo "node.sh: $cfg is missing: the harness must write it" >&2; exit 64; }
  data_dir=$(sed -n 's/^dataDir=//p' "$cfg")
  mkdir -p "${data_dir:-/data/zookeeper}"
  if [ -n "${ZK_MYID:-}" ]; then echo "$ZK_MYID" > "${data_dir:-/data/zookeeper}/myid"; fi
  # shellcheck disable=SC2086
  exec java $java_opts "$log4j" -Dzookeeper.admin.enableServer=false -cp "$classpath" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$cfg"
  ;;
kafka)
  cfg=/etc/kafkaesque/server.properties
  [ -f "$cfg" ] || { echo "node.sh: $cfg is missing: the harness must write it" >&2; exit 64; }
  # shellcheck disable=SC2086
  exec java $java_opts "$log4j" -cp "$classpath" kafka.Kafka "$cfg"
  ;;
*)
  echo "usage: node.sh zookeeper|kafka (got '$role')" >&2
  exit 64
  ;;
esac
