#!/usr/bin/env bash
# Base images without a registry, for machines that cannot pull (ours and CI):
#
#   debian:bookworm-slim     debootstrap --variant=minbase bookworm from this machine's own Debian mirror,
#                            imported with `docker import`
#   node:20-bookworm-slim    that Debian root plus this machine's own `node` (20.x) at /usr/local/bin/node
#
# They carry the names of the official images, so compose/*/Dockerfile say `FROM debian:bookworm-slim`
# or `FROM node:20-bookworm-slim` and build unchanged both here and on a laptop that pulls the real
# ones. Each image is skipped when its tag already exists; --force rebuilds both.
#
#   scripts/docker/base-images.sh [--force]
#
# Environment: BANKRUN_DEBIAN_MIRROR overrides the mirror read from /etc/apt/sources.list{,.d/*.sources}.
# Needs root and a running engine (scripts/docker/engine.sh start). Uses Debian's /usr/bin/docker and
# the classic builder (DOCKER_BUILDKIT=0): /usr/local/bin/docker here is a v28 client without buildx.
set -euo pipefail

DOCKER=/usr/bin/docker
export DOCKER_BUILDKIT=0
DEBIAN_TAG=debian:bookworm-slim
NODE_TAG=node:20-bookworm-slim
FORCE=0
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    *) echo "usage: $0 [--force]" >&2; exit 2 ;;
  esac
done

say() { printf 'base-images: %s\n' "$*"; }
die() { printf 'base-images: error: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
have_image() { [ "$FORCE" = 0 ] && "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

[ "$(id -u)" = 0 ] || die "run as root (debootstrap needs it)"
"$DOCKER" info >/dev/null 2>&1 || die "no Docker engine answers; run scripts/docker/engine.sh start first"

# The URI of the first enabled `deb` source for bookworm: one-line format in /etc/apt/sources.list
# (and *.list), deb822 format in /etc/apt/sources.list.d/*.sources.
debian_mirror() {
  if [ -n "${BANKRUN_DEBIAN_MIRROR:-}" ]; then echo "$BANKRUN_DEBIAN_MIRROR"; return; fi
  local f uri
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # deb [options] URI SUITE COMPONENTS...
    uri=$(sed -E 's/#.*//; s/\[[^]]*\]//' "$f" | awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }')
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk '
      function flush() { if (types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm( |$)/ && enabled != "no" && uris != "") { split(uris, u, " "); print u[1]; found = 1; exit } types = suites = uris = enabled = "" }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
        if (key == "types") types = $0; else if (key == "suites") suites = $0; else if (key == "uris") uris = $0; else if (key == "enabled") enabled = tolower($0) }
      END { if (!found) flush() }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  return 1
}

ensure_debootstrap() {
  command -v debootstrap >/dev/null 2>&1 && return 0
  say "installing debootstrap (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
}

T_ALL=$(now)

if have_image "$DEBIAN_TAG"; then
  say "$DEBIAN_TAG exists, skipped ($("$DOCKER" image inspect --format '{{.Id}}' "$DEBIAN_TAG" | cut -c1-19))"
else
  ensure_debootstrap
  MIRROR=$(debian_mirror) || die "no bookworm 'deb' source found in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources; set BANKRUN_DEBIAN_MIRROR=http://…/debian"
  WORK=$(mktemp -d /var/tmp/bankrun-rootfs.XXXXXX)
  trap 'rm -rf "$WORK"' EXIT
  say "debootstrap --variant=minbase bookworm from $MIRROR (about 40 s)"
  t0=$(now)
  debootstrap --variant=minbase bookworm "$WORK/root" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
    tail -n 30 "$WORK/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
  say "debootstrap done in $(elapsed "$t0") s"
  # Slim it like the official image: no package cache, no lists (Dockerfiles run apt-get update),
  # no docs. The mirror stays in /etc/apt/sources.list, so apt-get in a build uses the same mirror.
  rm -rf "$WORK/root/var/cache/apt/archives/"*.deb "$WORK/root/var/lib/apt/lists/"* \
    "$WORK/root/usr/share/doc/"* "$WORK/root/usr/share/man/"* "$WORK/root/usr/share/info/"* \
    "$WORK/root/var/log/"*.log "$WORK/root/debootstrap"
  t0=$(now)
  tar --numeric-owner -C "$WORK/root" -c . |
    "$DOCKER" import -c 'CMD ["bash"]' \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -m "debootstrap --variant=minbase bookworm $MIRROR" - "$DEBIAN_TAG" >/dev/null
  say "$DEBIAN_TAG imported in $(elapsed "$t0") s ($("$DOCKER" image inspect --format '{{.Size}}' "$DEBIAN_TAG" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
  rm -rf "$WORK"; trap - EXIT
fi

if have_image "$NODE_TAG"; then
  say "$NODE_TAG exists, skipped ($("$DOCKER" image inspect --format '{{.Id}}' "$NODE_TAG" | cut -c1-19))"
else
  NODE=$(command -v node) || die "no node on PATH: install Node.js 20 on this machine (the image gets this machine's node binary)"
  NODE=$(readlink -f "$NODE")
  VERSION=$("$NODE" --version)
  case $VERSION in
    v20.*) ;;
    *) die "$NODE is Node.js $VERSION, but the image is tagged $NODE_TAG: put a Node.js 20.x first on PATH" ;;
  esac
  CTX=$(mktemp -d /var/tmp/bankrun-node.XXXXXX)
  trap 'rm -rf "$CTX"' EXIT
  cp "$NODE" "$CTX/node"
  # The official image also has npm and yarn; ours has only node, on purpose: nothing in an image
  # may reach a registry with this machine's credentials.
  cat >"$CTX/Dockerfile" <<EOF
FROM $DEBIAN_TAG
COPY node /usr/local/bin/node
ENV NODE_VERSION=${VERSION#v}
RUN node --version
CMD ["node"]
EOF
  t0=$(now)
  "$DOCKER" build -q -t "$NODE_TAG" "$CTX" >/dev/null
  say "$NODE_TAG built in $(elapsed "$t0") s (node $VERSION from $NODE; $("$DOCKER" image inspect --format '{{.Size}}' "$NODE_TAG" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
  rm -rf "$CTX"; trap - EXIT
fi

say "done in $(elapsed "$T_ALL") s"
