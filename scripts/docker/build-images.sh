#!/usr/bin/env bash
# Build bankrun's images from compose/*/Dockerfile, tagged bankrun/NAME:VERSION (the tag the Docker
# runtime's compose file names: lib/runtime/docker) and bankrun/NAME:latest.
#
#   scripts/docker/build-images.sh [--force] [NAME...]     NAME: etcd nettools api postgres galera (default: all)
#                                                          or api-fdb (needs a registry: its FROM and npm)
#
# An image whose tag exists is skipped unless --force. The FROM images (debian:bookworm-slim,
# node:20-bookworm-slim) must exist or be pullable: on machines without a registry, run
# scripts/docker/base-images.sh first. Uses Debian's /usr/bin/docker and the classic builder
# (DOCKER_BUILDKIT=0; /usr/local/bin/docker here is a v28 client whose builder needs buildx).
# Each build context is its compose/NAME folder only: nothing of the checkout (and no npm settings)
# goes into an image. The API node's code is not in its image: each run bundles it (lib/api/bundle.ts).
set -euo pipefail

cd "$(dirname "$0")/../.."
if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
export DOCKER_BUILDKIT=0
ALL=(etcd nettools api postgres galera)
FORCE=0
NAMES=()
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    -*) echo "usage: $0 [--force] [${ALL[*]}]" >&2; exit 2 ;;
    *) [ -f "compose/$arg/Dockerfile" ] || { echo "build-images: no compose/$arg/Dockerfile" >&2; exit 2; }; NAMES+=("$arg") ;;
  esac
done
[ ${#NAMES[@]} -gt 0 ] || NAMES=("${ALL[@]}")

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
"$DOCKER" info >/dev/null 2>&1 || { echo "build-images: no Docker engine answers (scripts/docker/engine.sh start)" >&2; exit 1; }

T_ALL=$(now)
version_of() {
  case $1 in
    etcd) echo 3.4 ;; api) echo node20 ;; api-fdb) echo 7.3.79 ;; postgres) echo 15 ;; galera) echo 10.11 ;; *) echo latest ;;
  esac
}
for name in "${NAMES[@]}"; do
  tag=bankrun/$name:$(version_of "$name")
  if [ "$FORCE" = 0 ] && "$DOCKER" image inspect "$tag" >/dev/null 2>&1; then
    echo "build-images: $tag exists, skipped"
    continue
  fi
  log=$(mktemp /tmp/bankrun-build-$name.XXXXXX.log)
  t0=$(now)
  if ! "$DOCKER" build -t "$tag" -t "bankrun/$name:latest" "compose/$name" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "build-images: $tag failed (full log $log)" >&2
    exit 1
  fi
  size=$("$DOCKER" image inspect --format '{{.Size}}' "$tag" | awk '{ printf "%.0f MB", $1 / 1e6 }')
  echo "build-images: $tag built in $(elapsed "$t0") s ($size)"
  rm -f "$log"
done
echo "build-images: done in $(elapsed "$T_ALL") s"
