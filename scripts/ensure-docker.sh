#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine: installs Debian's docker.io when no engine
# is installed, and starts dockerd in the background when none is running. Idempotent.
set -euo pipefail

log=${KAFKAESQUE_DOCKERD_LOG:-/var/log/kafkaesque-dockerd.log}

engine_answers() { docker info >/dev/null 2>&1; }

if engine_answers; then exit 0; fi

need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "ensure-docker: $1 needs root; run as root or start a Docker engine yourself" >&2
    exit 1
  fi
}

apt_updated=
apt_install() {
  need_root "installing $*"
  if [ -z "$apt_updated" ]; then apt-get update -q >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}

if ! command -v dockerd >/dev/null 2>&1; then
  echo "ensure-docker: no Docker engine installed; installing Debian's docker.io" >&2
  apt_install docker.io iptables iproute2
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  need_root "starting dockerd"
  echo "ensure-docker: starting dockerd (log: $log)" >&2
  # dockerd outlives this script: it must not inherit the caller's open files (a `flock` lock on
  # one would be held for as long as the engine runs), so close every descriptor above 2 first.
  (
    for fd in /proc/$BASHPID/fd/*; do
      n=${fd##*/}
      if [ "$n" -gt 2 ] 2>/dev/null; then eval "exec $n>&-" 2>/dev/null || true; fi
    done
    exec nohup dockerd </dev/null >"$log" 2>&1
  ) &
fi

for _ in $(seq 1 60); do
  if engine_answers; then exit 0; fi
  sleep 1
done
echo "ensure-docker: the Docker engine did not answer within 60 s; see $log" >&2
tail -n 20 "$log" >&2 || true
exit 1
