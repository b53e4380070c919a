#!/usr/bin/env bash
# Installs the system programs the tests and the local stack need, from Debian, when missing.
# Usage: scripts/system-deps.sh [redis] [ffmpeg] [chromium] [podman]   (no argument: redis and ffmpeg)
# podman: podman, runc and debootstrap, to build and run transcoder/Dockerfile (scripts/container.sh).
set -euo pipefail
want=("$@")
[ ${#want[@]} -eq 0 ] && want=(redis ffmpeg)
missing=()
for w in "${want[@]}"; do
  case "$w" in
    redis) command -v redis-server >/dev/null || missing+=(redis-server) ;;
    # An explicit FFMPEG_PATH, or ffmpeg-static's binary, makes the system's optional.
    ffmpeg) [ -n "${FFMPEG_PATH:-}" ] || command -v ffmpeg >/dev/null || missing+=(ffmpeg) ;;
    chromium) command -v chromium >/dev/null || missing+=(chromium) ;;
    podman)
      command -v podman >/dev/null || missing+=(podman)
      command -v runc >/dev/null || missing+=(runc)
      command -v debootstrap >/dev/null || missing+=(debootstrap)
      ;;
    *) echo "unknown dependency: $w" >&2; exit 2 ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing ${missing[*]}: install them (sudo apt-get install ${missing[*]}) or run as root" >&2
  exit 1
fi
echo "installing ${missing[*]} from Debian…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
