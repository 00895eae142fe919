#!/usr/bin/env bash
# Builds the Kafkaesque node images, one per Apache Kafka version, with no container registry:
#   images/build.sh [VERSION ...]        (default 3.9.2; any release from 2.8.0 on)
#   1. kafkaesque/base:<suite>-<hash>  a minimal Debian with the JRE the version runs on, made by
#      debootstrap + docker import, one per suite: bookworm with openjdk-17 for Kafka 3.1 and later
#      (Kafka is built and tested on Java 17 from 3.1 on; 4.x needs 17), bullseye with openjdk-11
#      for 2.8 and 3.0 (tested on 8, 11 and 15/16).
#   2. kafkaesque/node:<VERSION>       the base plus that version's jars from Maven Central
#      (org.apache.kafka:kafka_2.13, kafka-tools for kafka-producer-perf-test, and a logging binding), resolved into images/.build/<VERSION>/.
#      Its labels say what it holds (io.kafkaesque.kafka-version, zookeeper-version, java, modes,
#      broker-config-keys: see README "Images"), and /usr/local/bin/lazyfs (cmd/lazyfs, built here
#      with Go; node.sh runs it only when given LAZYFS_DIRS).
# Each step is skipped when its inputs are unchanged, so a second run finishes in seconds. A step
# that runs prints the build's elapsed time, an ETA where images/.build/step-durations holds how
# long it took last time, and how long it took (images/steps.sh).
# Prints the node images' names on stdout, one a line, as its last lines. KAFKAESQUE_IMAGE names
# the node image instead when one version is built.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build_root="$here/.build"
label=io.kafkaesque.managed=true
# The log4j2 of Kafka 4.0's own distribution, for 4.x releases whose pom brings no log4j-core
# (4.0 does not; later ones bring theirs, which is then used).
log4j2_default=2.24.3

say() { echo "images/build.sh: $*" >&2; }
die() { say "$*"; exit 1; }
# step KEY MESSAGE COMMAND...: a long step, with the elapsed time and an ETA from the last build.
source "$here/steps.sh"
step_durations="$build_root/step-durations"

apt_install() {
  if [ "$(id -u)" != 0 ]; then die "installing $* needs root"; fi
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}

# The mirror this machine's apt already uses, so the build needs no address of its own.
debian_mirror() {
  local m=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
  fi
  [ -n "$m" ] || die "cannot find a Debian mirror in this machine's apt sources"
  echo "$m"
}

image_label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

# check_version V: a release number this script can build, or a one-line refusal.
check_version() {
  [[ "$1" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]] ||
    die "'$1' is not a Kafka release number (MAJOR.MINOR.PATCH, e.g. 3.9.2)"
  local major=$((10#${BASH_REMATCH[1]})) minor=$((10#${BASH_REMATCH[2]}))
  if [ "$major" -lt 2 ] || { [ "$major" -eq 2 ] && [ "$minor" -lt 8 ]; }; then
    die "Kafka $1 is older than 2.8.0, the oldest release Kafkaesque builds"
  fi
}

# version_facts V: sets major, suite, java and packages for Kafka V.
version_facts() {
  local v=$1 minor
  major=${v%%.*}; minor=${v#*.}; minor=${minor%%.*}
  major=$((10#$major)); minor=$((10#$minor))
  if [ "$major" -gt 3 ] || { [ "$major" -eq 3 ] && [ "$minor" -ge 1 ]; }; then
    suite=bookworm java=17
  else
    suite=bullseye java=11
  fi
  packages=openjdk-$java-jre-headless,iproute2,iptables,procps,netcat-openbsd
}

# build_base: the base image of $suite with $packages; sets base_image.
build_base() {
  local base_hash rootfs log="$build_root/debootstrap-$suite.log"
  base_hash=$(printf '%s|%s|1' "$suite" "$packages" | sha256sum | cut -c1-12)
  base_image=kafkaesque/base:$suite-$base_hash
  if docker image inspect "$base_image" >/dev/null 2>&1; then
    say "base $base_image is up to date"
    return
  fi
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  rootfs=$(mktemp -d /tmp/kafkaesque-rootfs.XXXXXX)
  if ! step "debootstrap-$suite" "debootstrap $suite with $packages (about a minute)" \
    debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$(debian_mirror)" >"$log" 2>&1; then
    rm -rf "$rootfs"
    say "debootstrap of $suite failed; last lines of $log:"; tail -n 20 "$log" >&2; exit 1
  fi
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  step "import-$suite" "importing $base_image" import_base "$rootfs" || die "importing $base_image failed"
  rm -rf "$rootfs"
}

import_base() {
  tar -C "$1" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c "LABEL $label" -c 'CMD ["/bin/bash"]' - "$base_image" >/dev/null
}

# write_pom V FILE [LOGGING_DEPENDENCIES]: the template with V and the logging dependencies.
write_pom() {
  awk -v v="$1" -v deps="${3:-}" '
    /<kafka.version>/ { sub(/<kafka.version>[^<]*<\/kafka.version>/, "<kafka.version>" v "</kafka.version>") }
    /<!-- logging dependencies -->/ { if (deps != "") print deps; next }
    { print }' "$here/pom.xml" >"$2"
}

dep() { printf '    <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></dependency>\n' "$@"; }

# mvn_copy V DIR: copies the runtime jars of DIR/pom.xml into DIR/libs; a version Maven Central
# does not serve is one line naming it, anything else one line and the log.
mvn_copy() {
  local v=$1 dir=$2 cause
  rm -rf "$dir/libs"
  if step maven "mvn dependency:copy-dependencies (Kafka $v)" mvn -B -f "$dir/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$dir/libs" >"$dir/mvn.log" 2>&1; then
    return
  fi
  if grep -q "org.apache.kafka:kafka_2.13:\(jar\|pom\):$v" "$dir/mvn.log" &&
    grep -q "Could not find artifact\|was not found in\|Failure to find" "$dir/mvn.log"; then
    die "Kafka $v is not served by Maven Central as org.apache.kafka:kafka_2.13:$v (no such release?)"
  fi
  cause=$(grep -m1 '^\[ERROR\]' "$dir/mvn.log" | cut -c1-300 || true)
  die "resolving Kafka $v's jars failed: ${cause:-see the log} (log: $dir/mvn.log)"
}

# fetch_jars V DIR: DIR/libs holds Kafka V's runtime jars and a logging binding.
fetch_jars() {
  local v=$1 dir=$2 stamp log4j2 binding slf4j deps
  write_pom "$v" "$dir/pom.template.xml"
  stamp=$( (cat "$dir/pom.template.xml"; echo "$log4j2_default"; sed -n '/^fetch_jars()/,/^}/p' "$0") | sha256sum | cut -c1-16)
  if [ -f "$dir/libs.stamp" ] && [ "$(cat "$dir/libs.stamp")" = "$stamp" ] && [ -d "$dir/libs" ]; then
    say "Kafka $v jars are up to date"
    return
  fi
  command -v mvn >/dev/null 2>&1 || apt_install maven
  say "resolving Kafka $v jars from Maven Central"
  if [ "$major" -lt 4 ]; then
    # slf4j 1.7 to log4j 1 (reload4j), as Kafka's own distribution from 3.2 on; slf4j-api is pinned
    # to the binding's version (2.8 brings 1.7.30).
    deps=$(dep ch.qos.reload4j reload4j 1.2.25; dep org.slf4j slf4j-reload4j 1.7.36; dep org.slf4j slf4j-api 1.7.36)
  else
    # Kafka 4.x: first what Kafka brings, then log4j2 at the version it brings (or Kafka 4.0's),
    # bound to slf4j by the binding of slf4j-api's line (1.x: log4j-slf4j-impl, 2.x: -slf4j2-impl).
    write_pom "$v" "$dir/pom.xml"
    mvn_copy "$v" "$dir"
    log4j2=$(find "$dir/libs" -name 'log4j-core-*.jar' -printf '%f\n' | sed -n 's/^log4j-core-\(.*\)\.jar$/\1/p')
    slf4j=$(find "$dir/libs" -name 'slf4j-api-*.jar' -printf '%f\n' | sed -n 's/^slf4j-api-\([0-9]*\)\..*/\1/p')
    binding=log4j-slf4j-impl
    [ "$slf4j" = 2 ] && binding=log4j-slf4j2-impl
    deps=$(for a in log4j-api log4j-core "$binding"; do dep org.apache.logging.log4j "$a" "${log4j2:-$log4j2_default}"; done)
  fi
  write_pom "$v" "$dir/pom.xml" "$deps"
  mvn_copy "$v" "$dir"
  [ -f "$dir/libs/kafka_2.13-$v.jar" ] || die "Kafka $v: kafka_2.13-$v.jar is missing from $dir/libs after resolution"
  echo "$stamp" >"$dir/libs.stamp"
}

# list_config_keys DIR: DIR/broker-config-keys.txt, the version's broker config names, listed by
# ListBrokerConfigs.java from the jars, in the base image (the JRE the broker will run on).
list_config_keys() {
  local dir=$1 stamp n
  stamp=$( (cat "$dir/libs.stamp" "$here/ListBrokerConfigs.java"; echo "$base_image") | sha256sum | cut -c1-16)
  if [ -f "$dir/broker-config-keys.stamp" ] && [ "$(cat "$dir/broker-config-keys.stamp")" = "$stamp" ]; then
    return
  fi
  rm -rf "$dir/keys" && mkdir -p "$dir/keys"
  step config-keys "listing Kafka $v's broker config names" \
    docker run --rm --network none -v "$dir/libs:/libs:ro" -v "$dir/keys:/keys" \
    -v "$here/ListBrokerConfigs.java:/ListBrokerConfigs.java:ro" --entrypoint java "$base_image" \
    -cp '/libs/*' /ListBrokerConfigs.java /keys/broker-config-keys.txt >"$dir/broker-config-keys.log" 2>&1 || {
    say "listing the broker configs failed; see $dir/broker-config-keys.log:"; tail -n 5 "$dir/broker-config-keys.log" >&2; exit 1; }
  mv "$dir/keys/broker-config-keys.txt" "$dir/broker-config-keys.txt" && rmdir "$dir/keys"
  if grep -qvE '^[a-z0-9][a-zA-Z0-9._-]*$' "$dir/broker-config-keys.txt"; then
    die "$dir/broker-config-keys.txt holds a line that is no config name: $(grep -m1 -vE '^[a-z0-9][a-zA-Z0-9._-]*$' "$dir/broker-config-keys.txt")"
  fi
  n=$(wc -l <"$dir/broker-config-keys.txt")
  [ "$n" -gt 100 ] || die "only $n broker config names in $dir/broker-config-keys.txt"
  echo "$stamp" >"$dir/broker-config-keys.stamp"
}

# build_lazyfs DIR: DIR/lazyfs, the static cmd/lazyfs binary (Go's build cache makes a rebuild
# fast; -trimpath keeps the binary, and so the image's content hash, the same for the same source).
build_lazyfs() {
  command -v go >/dev/null 2>&1 || die "building cmd/lazyfs for the node image needs Go (go.mod's version)"
  (cd "$repo" && CGO_ENABLED=0 GOOS=linux GOARCH="$(go env GOARCH)" go build -trimpath -o "$1/lazyfs" ./cmd/lazyfs) ||
    die "building cmd/lazyfs failed"
}

# build_node V DIR IMAGE: the node image of Kafka V from DIR.
build_node() {
  local v=$1 dir=$2 image=$3 zk logging modes keys content old_id tools=""
  # kafka-producer-perf-test's class, the anchor of `kafkaesque bench`.
  # (A zip's central directory holds its entries' names uncompressed.)
  if [ -f "$dir/libs/kafka-tools-$v.jar" ] &&
    LC_ALL=C grep -qa 'org/apache/kafka/tools/ProducerPerformance.class' "$dir/libs/kafka-tools-$v.jar"; then
    tools=producer-perf-test
  fi
  zk=$(find "$dir/libs" -name 'zookeeper-[0-9]*.jar' -printf '%f\n' | sed -n 's/^zookeeper-\(.*\)\.jar$/\1/p')
  if [ "$major" -lt 4 ]; then
    [ -n "$zk" ] || die "Kafka $v brought no ZooKeeper jar"
    logging=log4j1 modes=zk,kraft
  else
    logging=log4j2 modes=kraft
  fi
  printf 'KAFKA_VERSION=%s\nZOOKEEPER_VERSION=%s\nLOGGING=%s\nJAVA=%s\n' "$v" "$zk" "$logging" "$java" >"$dir/node.env"
  cp "$here/Dockerfile" "$here/node.sh" "$here/log4j.properties" "$here/log4j2.xml" "$dir/"
  build_lazyfs "$dir"
  keys=$(LC_ALL=C sort "$dir/broker-config-keys.txt" | gzip -9n | base64 -w0)
  content=$( (docker image inspect -f '{{.Id}}' "$base_image"; cat "$here/Dockerfile" "$here/node.sh" "$here/log4j.properties" "$here/log4j2.xml" \
    "$dir/node.env" "$dir/libs.stamp" "$dir/lazyfs"; echo "$modes|$keys|$tools") | sha256sum | cut -c1-16)
  if [ "$(image_label "$image" io.kafkaesque.content)" = "$content" ]; then
    say "node $image is up to date"
    return
  fi
  old_id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  # The legacy builder needs no buildx plugin and no registry.
  DOCKER_BUILDKIT=0 step node-image "building $image (Kafka $v, ZooKeeper ${zk:-none}, Java $java, $logging)" \
    docker build -q --build-arg BASE="$base_image" \
    --label "$label" --label io.kafkaesque.content="$content" \
    --label io.kafkaesque.kafka-version="$v" --label io.kafkaesque.zookeeper-version="$zk" \
    --label io.kafkaesque.java="$java" --label io.kafkaesque.modes="$modes" \
    --label io.kafkaesque.broker-config-keys="$keys" --label io.kafkaesque.tools="$tools" \
    -t "$image" -f "$dir/Dockerfile" "$dir" >"$dir/docker-build.log" 2>&1 || {
    say "docker build failed; see $dir/docker-build.log"; tail -n 20 "$dir/docker-build.log" >&2; exit 1; }
  # The image this one replaced, now untagged, unless a container still uses it.
  if [ -n "$old_id" ] && [ "$(docker image inspect -f '{{len .RepoTags}}' "$old_id" 2>/dev/null)" = 0 ]; then
    docker image rm "$old_id" >/dev/null 2>&1 || true
  fi
}

versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(3.9.2)
if [ -n "${KAFKAESQUE_IMAGE:-}" ] && [ ${#versions[@]} -gt 1 ]; then
  die "KAFKAESQUE_IMAGE names one image, but ${#versions[@]} versions were asked for"
fi
for v in "${versions[@]}"; do check_version "$v"; done

"$repo/scripts/ensure-docker.sh"
# One build at a time on this machine: builds share the bases, ~/.m2 and images/.build/<VERSION>.
mkdir -p "$build_root"
exec 9>"$build_root/build.lock"
flock 9
built=()
for v in "${versions[@]}"; do
  version_facts "$v"
  dir="$build_root/$v"
  mkdir -p "$dir"
  build_base
  fetch_jars "$v" "$dir"
  list_config_keys "$dir"
  image=${KAFKAESQUE_IMAGE:-kafkaesque/node:$v}
  build_node "$v" "$dir" "$image"
  built+=("$image")
done
printf '%s\n' "${built[@]}"
