#!/usr/bin/env bash
# Builds the Kafkaesque images with no container registry:
#   1. kafkaesque/base:<hash>  a minimal Debian bookworm with a JRE, made by debootstrap + docker import;
#   2. kafkaesque/node:<ver>   the base plus the Kafka/ZooKeeper jars resolved from Maven Central.
# Each step is skipped when its inputs are unchanged, so a second run finishes in seconds.
# Prints the node image's name on stdout as its last line.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build_dir="$here/.build"
kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
node_image=${KAFKAESQUE_IMAGE:-kafkaesque/node:$kafka_version}
label=io.kafkaesque.managed=true

# What the base holds; any change here makes a new base image.
suite=bookworm
packages=openjdk-17-jre-headless,iproute2,iptables,procps,netcat-openbsd
base_hash=$(printf '%s|%s|1' "$suite" "$packages" | sha256sum | cut -c1-12)
base_image=kafkaesque/base:$suite-$base_hash

say() { echo "images/build.sh: $*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then say "installing $* needs root"; exit 1; fi
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
  if [ -z "$m" ]; then say "cannot find a Debian mirror in this machine's apt sources"; exit 1; fi
  echo "$m"
}

image_label() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

build_base() {
  if docker image inspect "$base_image" >/dev/null 2>&1; then
    say "base $base_image is up to date"
    return
  fi
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  local rootfs
  rootfs=$(mktemp -d /tmp/kafkaesque-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' RETURN
  say "debootstrap $suite with $packages (about a minute)"
  debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$(debian_mirror)" >"$build_dir/debootstrap.log" 2>&1 || {
    say "debootstrap failed; last lines of $build_dir/debootstrap.log:"; tail -n 20 "$build_dir/debootstrap.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  say "importing $base_image"
  tar -C "$rootfs" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c "LABEL $label" -c 'CMD ["/bin/bash"]' - "$base_image" >/dev/null
}

fetch_jars() {
  local pom_hash
  pom_hash=$(sha256sum "$here/pom.xml" | cut -c1-16)
  if [ -f "$build_dir/libs.stamp" ] && [ "$(cat "$build_dir/libs.stamp")" = "$pom_hash" ]; then
    say "jars are up to date"
    return
  fi
  command -v mvn >/dev/null 2>&1 || apt_install maven
  say "resolving Kafka $kafka_version jars from Maven Central"
  rm -rf "$build_dir/libs"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$build_dir/libs" >"$build_dir/mvn.log" 2>&1 || {
    say "maven failed; see $build_dir/mvn.log"; tail -n 20 "$build_dir/mvn.log" >&2; exit 1; }
  echo "$pom_hash" >"$build_dir/libs.stamp"
}

build_node() {
  local content
  content=$( (echo "$base_image"; cat "$here/Dockerfile" "$here/node.sh" "$here/log4j.properties" "$build_dir/libs.stamp") | sha256sum | cut -c1-16)
  if [ "$(image_label "$node_image" io.kafkaesque.content)" = "$content" ]; then
    say "node $node_image is up to date"
    return
  fi
  say "building $node_image"
  # The legacy builder needs no buildx plugin and no registry.
  DOCKER_BUILDKIT=0 docker build -q --build-arg BASE="$base_image" \
    --label "$label" --label io.kafkaesque.content="$content" \
    -t "$node_image" -f "$here/Dockerfile" "$here" >"$build_dir/docker-build.log" 2>&1 || {
    say "docker build failed; see $build_dir/docker-build.log"; tail -n 20 "$build_dir/docker-build.log" >&2; exit 1; }
}

"$repo/scripts/ensure-docker.sh"
mkdir -p "$build_dir"
build_base
fetch_jars
build_node
echo "$node_image"
