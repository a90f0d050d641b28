#!/usr/bin/env bash
# No image registry is reachable on this machine, so the base image the Containerfiles name by
# default (docker.io/library/node:20-bookworm-slim) is made here instead: a minimal Debian
# bookworm rootfs from Debian's mirror (debootstrap), this machine's node and npm copied in, a
# `node` user with uid 1000 as in the official image, imported under the official name. Then
# `podman build` of deploy/images/*.Containerfile works unchanged. Where the real image can be
# pulled, do not run this: pull it.
#
# Cached twice: the imported image itself, and a tarball under /var/cache/pushpals (a `podman
# system reset` keeps that one), so only the first run on a machine pays for debootstrap (about
# 4 minutes here, mostly the download).
# Usage: bash scripts/stand-in-base-image.sh   (needs root and the container engine's podman)
# Prints the image name on stdout.
set -euo pipefail
IMAGE=${PUSHPALS_BASE_IMAGE:-docker.io/library/node:20-bookworm-slim}
NODE=$(command -v node)
# The recipe revision and the node version are in the cache's name: either changing builds anew.
CACHE_DIR=${PUSHPALS_IMAGE_CACHE:-/var/cache/pushpals}
TARBALL="$CACHE_DIR/node-bookworm-slim-$("$NODE" --version)-r1.tar"
log() { echo "stand-in base: $*" >&2; }

if podman image exists "$IMAGE"; then
  echo "$IMAGE"
  exit 0
fi

if [ ! -s "$TARBALL" ]; then
  command -v debootstrap >/dev/null || { log "installing debootstrap"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2; }
  mkdir -p "$CACHE_DIR"
  root=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
  trap 'rm -rf "$root" "$TARBALL.partial"' EXIT
  log "debootstrap bookworm into $root (first run on this machine only)"
  debootstrap --variant=minbase --include=ca-certificates,libstdc++6 bookworm "$root" http://deb.debian.org/debian >&2
  # What the official slim image has: node and npm under /usr/local, a node user, no apt lists.
  install -D -m 0755 "$NODE" "$root/usr/local/bin/node"
  npm_root="$(dirname "$(dirname "$NODE")")/lib/node_modules/npm"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_root" "$root/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  # This machine's egress re-signs TLS with its own CA: the host's bundle lets npm and apt's
  # https sources verify inside builds. A real base image does not need it.
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  [ -f "$(dirname "$(dirname "$NODE")")/etc/npmrc" ] && install -D -m 0644 "$(dirname "$(dirname "$NODE")")/etc/npmrc" "$root/usr/local/etc/npmrc"
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb "$root"/proc/* "$root"/sys/* "$root"/dev/*
  tar -C "$root" --numeric-owner -cf "$TARBALL.partial" .
  mv "$TARBALL.partial" "$TARBALL"
  rm -rf "$root"
  trap - EXIT
fi

log "importing $TARBALL as $IMAGE"
podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_VERSION='"$("$NODE" --version | tr -d v)" \
  --change 'LABEL org.pushpals.stand-in=true' \
  --change 'CMD ["node"]' \
  "$TARBALL" "$IMAGE" >&2
echo "$IMAGE"
