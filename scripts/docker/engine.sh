#!/usr/bin/env bash
# The Docker engine for bankrun on a machine without systemd (our dev machines and CI).
#
#   scripts/docker/engine.sh start            install docker.io etc. if missing, start dockerd, wait for it
#   scripts/docker/engine.sh stop [--purge]   stop the dockerd we started (by its PID) and clean up after it;
#                                             --purge also deletes /var/lib/docker (images, volumes: GBs)
#   scripts/docker/engine.sh status           exit 0 when an engine answers, 1 otherwise
#
# Run as root. Environment:
#   BANKRUN_DOCKER_STATE   state folder (PID file, what existed before start)  default /run/bankrun-docker
#   BANKRUN_DOCKERD_LOG    dockerd's log                                        default /tmp/bankrun-dockerd.log
#   BANKRUN_DOCKERD_WAIT   seconds to wait for `docker info`                    default 60
#
# Client: we call Debian's /usr/bin/docker (20.10, same as the daemon), never a bare `docker`:
# on our machines /usr/local/bin/docker is a v28 client that shadows it and whose `docker build`
# needs buildx, which is missing. Scripts that build images also export DOCKER_BUILDKIT=0 so the
# classic builder is used whichever client runs.
#
# Only what this script started is stopped: a dockerd that was already answering (a systemd
# service, Docker Desktop, another session's) is reported and left alone.
set -euo pipefail

STATE=${BANKRUN_DOCKER_STATE:-/run/bankrun-docker}
LOG=${BANKRUN_DOCKERD_LOG:-/tmp/bankrun-dockerd.log}
WAIT=${BANKRUN_DOCKERD_WAIT:-60}
PIDFILE=$STATE/dockerd.pid
DOCKER=/usr/bin/docker
export DOCKER_BUILDKIT=0

say() { printf 'engine: %s\n' "$*"; }
die() { printf 'engine: error: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

need_root() { [ "$(id -u)" = 0 ] || die "run as root (dockerd, nftables and apt-get need it)"; }

# Debian 12 packages: the engine (20.10, with containerd and runc), Compose v1, debootstrap for the
# base image, nftables and iproute2 for the cleanup below. apt-get update once, only when something is missing.
ensure_packages() {
  local missing=() p
  for p in docker.io docker-compose debootstrap nftables iproute2; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # docker.io's postinst may try to start the service; without systemd that just fails quietly.
}

answers() { "$DOCKER" info >/dev/null 2>&1; }

our_pid() {
  # The PID in our file, if that process is still a dockerd.
  [ -f "$PIDFILE" ] || return 1
  local pid; pid=$(cat "$PIDFILE")
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = dockerd ] || return 1
  echo "$pid"
}

start() {
  need_root
  ensure_packages
  local pid
  if pid=$(our_pid); then
    if answers; then say "already running (dockerd pid $pid, log $LOG)"; exit 0; fi
    say "dockerd pid $pid is up but not answering yet"
  elif answers; then
    say "an engine not started by this script already answers; using it and leaving it alone"
    exit 0
  else
    mkdir -p "$STATE"
    # Remember what existed before, so that stop removes only what dockerd added.
    nft list tables 2>/dev/null | sort >"$STATE/nft-tables.before" || true
    ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort >"$STATE/links.before"
    cat /proc/sys/net/ipv4/ip_forward >"$STATE/ip_forward.before"
    local t0; t0=$(now)
    # setsid: its own session, so that the shell that started it can exit without taking it along.
    setsid dockerd >"$LOG" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PIDFILE"
    echo "$t0" >"$STATE/started-at"
    say "started dockerd pid $pid, log $LOG"
  fi
  local t0; t0=$(cat "$STATE/started-at" 2>/dev/null || now)
  local deadline=$(( $(date +%s) + WAIT ))
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PIDFILE"
      printf 'engine: error: dockerd (pid %s) exited; last lines of %s:\n' "$pid" "$LOG" >&2
      tail -n 30 "$LOG" >&2
      exit 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      printf 'engine: error: dockerd (pid %s) did not answer `docker info` within %ss; last lines of %s:\n' "$pid" "$WAIT" "$LOG" >&2
      tail -n 30 "$LOG" >&2
      exit 1
    fi
    sleep 0.1
  done
  say "ready in $(elapsed "$t0") s ($("$DOCKER" version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}'), storage $("$DOCKER" info --format '{{.Driver}}, cgroup v{{.CgroupVersion}}'))"
}

stop() {
  need_root
  local purge=0
  for arg in "$@"; do
    case $arg in
      --purge) purge=1 ;;
      *) die "unknown flag $arg (stop [--purge])" ;;
    esac
  done
  local pid
  if pid=$(our_pid); then
    say "stopping dockerd pid $pid"
    kill -TERM "$pid"
    # dockerd stops its containers (up to 10 s each by default) and its own containerd.
    local i
    for i in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      say "dockerd pid $pid still running after 30 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
    rm -f "$PIDFILE"
  elif [ -f "$PIDFILE" ]; then
    say "dockerd from $PIDFILE is no longer running; cleaning up after it"
    rm -f "$PIDFILE"
  elif answers; then
    say "an engine not started by this script is running; leaving it alone"
    return 0
  elif [ ! -d "$STATE" ]; then
    say "not running"
    [ "$purge" = 1 ] || return 0
  fi
  cleanup
  [ "$purge" = 1 ] && purge_data
  rm -rf "$STATE"
  say "stopped"
}

# What a stopped dockerd leaves behind: mounts under /run/docker (netns, container shm), the
# docker0 and br-* bridges and veths, the nftables tables its iptables rules made (iptables-nft:
# `ip nat`, `ip filter`, ip6 ones), ip_forward=1. Only things that were not there before start.
cleanup() {
  if pgrep -x containerd-shim >/dev/null 2>&1 || pgrep -f containerd-shim-runc-v2 >/dev/null 2>&1; then
    say "warning: containerd shims are still running (containers of another engine?); not unmounting their state"
  else
    local m
    # Deepest first.
    for m in $(awk '$2 ~ "^/run/docker/|^/var/run/docker/|^/var/lib/docker/" { print $2 }' /proc/mounts | sort -r); do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
  fi
  local link
  for link in $(ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//'); do
    case $link in docker0|br-*|veth*) ;; *) continue ;; esac
    if [ -f "$STATE/links.before" ]; then
      grep -qxF "$link" "$STATE/links.before" && continue
    else
      [ "$link" = docker0 ] || continue   # without a record of what was there, only docker0 is surely dockerd's
    fi
    ip link delete "$link" 2>/dev/null && say "deleted link $link" || true
  done
  if [ -f "$STATE/nft-tables.before" ]; then
    local table
    while read -r table; do
      [ -n "$table" ] || continue
      grep -qxF "$table" "$STATE/nft-tables.before" && continue
      # "table ip nat" -> nft delete table ip nat
      nft delete ${table} 2>/dev/null && say "deleted nftables ${table}" || true
    done < <(nft list tables 2>/dev/null | sort)
  fi
  if [ -f "$STATE/ip_forward.before" ]; then
    cat "$STATE/ip_forward.before" >/proc/sys/net/ipv4/ip_forward 2>/dev/null || true
  fi
}

purge_data() {
  local m
  for m in $(awk '$2 ~ "^/var/lib/docker" { print $2 }' /proc/mounts | sort -r); do umount -l "$m" || true; done
  say "deleting /var/lib/docker ($(du -sh /var/lib/docker 2>/dev/null | cut -f1 || echo '?'))"
  rm -rf /var/lib/docker
}

status() {
  local pid
  if pid=$(our_pid); then
    if answers; then say "running (dockerd pid $pid, started by this script, log $LOG)"; return 0; fi
    say "dockerd pid $pid (ours) is not answering"; return 1
  fi
  if answers; then say "running (an engine not started by this script)"; return 0; fi
  say "not running"; return 1
}

case ${1:-} in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  status) shift; status "$@" ;;
  *) echo "usage: $0 start | stop [--purge] | status" >&2; exit 2 ;;
esac
