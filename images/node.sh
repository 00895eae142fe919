#!/bin/sh
# Entry point of the Kafkaesque node image, and the supervisor of its JVM.
#
# PID 1 stays alive while the JVM is killed or stopped, so the node keeps its IP address and a
# killed node's port refuses connections (as a crashed process on a live host would), and a
# restart reuses the node's data. The harness drives it with `docker exec`:
#   node.sh kill  - SIGKILL the JVM and keep it down      node.sh stop  - SIGTERM, keep it down
#   node.sh start - let the supervisor start the JVM again node.sh pid   - print the JVM's pid
#   node.sh lazyfs stats|lose-unfsynced|sync - the lazyfs control command, for each LAZYFS_DIRS
#   node.sh producer-perf-test ARGS... - Kafka's kafka-producer-perf-test (`kafkaesque bench`)
# LAZYFS_DIRS (unset: nothing changes) lists data directories (e.g. /data/kafka) to serve through
# lazyfs (docs/lazyfs.md; LAZYFS_ARGS: extra mount flags such as --journal), which then keeps their
# un-fsynced writes apart; the container needs /dev/fuse and CAP_SYS_ADMIN. Each DIR's tree
# lives in DIR-backing; its control socket is
# /run/kafkaesque/lazyfs-<basename of DIR>.sock. They are mounted before anything writes there,
# and synced (made durable) right before the JVM first starts.
# The harness writes the role's config file into /etc/kafkaesque before the first start.
set -eu
role="${1:-}"
# What images/build.sh found in this image's jars: KAFKA_VERSION, ZOOKEEPER_VERSION (empty from
# Kafka 4.0 on, which has no ZooKeeper server), LOGGING (log4j1 or log4j2), JAVA.
. /opt/kafkaesque/node.env
run_dir=/run/kafkaesque
down="$run_dir/down"
pid_file="$run_dir/pid"

jvm_pid() { cat "$pid_file" 2>/dev/null || true; }
logging_flag() {
  case "$LOGGING" in
  log4j1) echo -Dlog4j.configuration=file:/opt/kafkaesque/log4j.properties ;;
  log4j2) echo -Dlog4j2.configurationFile=/opt/kafkaesque/log4j2.xml ;;
  *) echo "node.sh: unknown LOGGING '$LOGGING' in /opt/kafkaesque/node.env" >&2; return 1 ;;
  esac
}
lazyfs_socket() { echo "$run_dir/lazyfs-$(basename "$1").sock"; }
lazyfs_all() {
  for d in $LAZYFS_DIRS; do lazyfs ctl --control "$(lazyfs_socket "$d")" "$1" || return 1; done
}

case "$role" in
kill|stop)
  mkdir -p "$run_dir"; touch "$down"
  pid=$(jvm_pid)
  if [ -z "$pid" ]; then echo "node.sh: no JVM is running" >&2; exit 1; fi
  if [ "$role" = kill ]; then kill -KILL "$pid"; else kill -TERM "$pid"; fi
  exit 0 ;;
start)
  rm -f "$down"; exit 0 ;;
pid)
  pid=$(jvm_pid); [ -n "$pid" ] || exit 1; echo "$pid"; exit 0 ;;
producer-perf-test)
  # Kafka's own producer benchmark (what kafka-producer-perf-test.sh runs), the anchor of
  # `kafkaesque bench`; the arguments are its own. The JVM runs as that script runs it (512 MB
  # heap, default collector and compilers), not as the nodes' small ones.
  shift
  log_flag=$(logging_flag) || exit 64
  exec java -Xmx512m -Djava.net.preferIPv4Stack=true "$log_flag" -cp '/opt/kafkaesque/libs/*' \
    org.apache.kafka.tools.ProducerPerformance "$@" ;;
lazyfs)
  [ -n "${LAZYFS_DIRS:-}" ] || { echo "node.sh: LAZYFS_DIRS is not set: no lazyfs mount on this node" >&2; exit 64; }
  lazyfs_all "${2:-}"; exit $? ;;
zookeeper)
  if [ -z "$ZOOKEEPER_VERSION" ]; then
    echo "node.sh: this image holds Kafka $KAFKA_VERSION, which has no ZooKeeper server (ZooKeeper mode ended with Kafka 4.0): run ZooKeeper nodes from a 3.x image, or use KRaft" >&2
    exit 64
  fi
  cfg=/etc/kafkaesque/zoo.cfg
  main=org.apache.zookeeper.server.quorum.QuorumPeerMain
  extra=-Dzookeeper.admin.enableServer=false ;;
kafka)
  cfg=/etc/kafkaesque/server.properties
  main=kafka.Kafka
  extra=-Dkafka.logs.dir=/data/kafka-app-logs ;;
*)
  echo "usage: node.sh zookeeper|kafka|kill|stop|start|pid|lazyfs|producer-perf-test (got '$role')" >&2
  exit 64 ;;
esac

[ -f "$cfg" ] || { echo "node.sh: $cfg is missing: the harness must write it" >&2; exit 64; }
if [ -n "${LAZYFS_DIRS:-}" ]; then
  mkdir -p "$run_dir"
  for d in $LAZYFS_DIRS; do
    sock=$(lazyfs_socket "$d") log="$run_dir/lazyfs-$(basename "$d").log"
    # shellcheck disable=SC2086
    lazyfs mount ${LAZYFS_ARGS:-} --backing "$d-backing" --control "$sock" "$d" 2>"$log" &
    tries=0
    until lazyfs ctl --control "$sock" stats >/dev/null 2>&1; do
      tries=$((tries + 1))
      if [ "$tries" -gt 100 ] || ! kill -0 $! 2>/dev/null; then
        echo "node.sh: lazyfs did not mount $d; its log:" >&2; cat "$log" >&2; exit 66
      fi
      sleep 0.1
    done
  done
fi
if [ "$role" = zookeeper ]; then
  data_dir=$(sed -n 's/^dataDir=//p' "$cfg")
  mkdir -p "${data_dir:-/data/zookeeper}"
  if [ -n "${ZK_MYID:-}" ]; then echo "$ZK_MYID" >"${data_dir:-/data/zookeeper}/myid"; fi
fi

log_flag=$(logging_flag) || exit 64

# Small heaps, the serial collector and C1 only: a node shares two cores with its whole cluster,
# and fast JVM start-up matters more here than peak throughput.
java_opts="${JAVA_OPTS:--Xms128m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.net.preferIPv4Stack=true}"

# KRaft: format the storage once, before the first start, with the arguments the harness wrote
# (kafka-storage format: the cluster id, and --ignore-formatted so a restarted container keeps
# its data). ZooKeeper-mode nodes have no such file.
if [ "$role" = kafka ] && [ -f /etc/kafkaesque/format.args ]; then
  # shellcheck disable=SC2046,SC2086
  java $java_opts $log_flag -cp '/opt/kafkaesque/libs/*' kafka.tools.StorageTool \
    $(cat /etc/kafkaesque/format.args) --config "$cfg" >&2 || {
    echo "node.sh: kafka-storage format failed" >&2; exit 65; }
fi

mkdir -p "$run_dir"
# What the setup above wrote through lazyfs is the node's durable starting point.
if [ -n "${LAZYFS_DIRS:-}" ]; then lazyfs_all sync >/dev/null || exit 66; fi
rm -f "$down" "$pid_file"
child=""
on_term() {
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; wait "$child" || true; fi
  exit 143
}
trap on_term TERM INT

while :; do
  if [ -e "$down" ]; then sleep 0.1; continue; fi
  echo "node.sh: starting $role" >&2
  # shellcheck disable=SC2086
  java $java_opts $log_flag $extra \
    -cp '/opt/kafkaesque/libs/*' "$main" "$cfg" &
  child=$!
  echo "$child" >"$pid_file"
  status=0
  # wait returns early when a trapped signal arrives; loop until the JVM is really gone.
  while kill -0 "$child" 2>/dev/null; do wait "$child" || status=$?; done
  rm -f "$pid_file"
  child=""
  echo "node.sh: $role exited with status $status" >&2
  # A JVM that died by itself stays down too: the harness decides when a node comes back.
  touch "$down"
done
