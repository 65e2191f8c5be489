#!/usr/bin/env bash
# Installs and starts the local Bluesky (AT Protocol) peers that chorus-networks' tests use.
# Idempotent: a peer that already runs is left alone.
#
#   pds mode  (PLC + PDS)              ports 2582/2583, dir $BSKY_PEER_DIR (default /var/tmp/chorus-bsky)
#   full mode (PLC + PDS + AppView …)  ports 2682/2683/2684/2687, Postgres 25432, Redis 26379,
#                                      dir $BSKY_FULL_PEER_DIR (default $BSKY_PEER_DIR-full)
#
# The full-mode peer reuses the pds-mode install (npm packages, Node 22) through symlinks, so
# the 670 MB install happens once. Its Postgres listens on 127.0.0.1:25432 only, so it never
# collides with a PostgreSQL on the default port 5432. Pass `pds` or `full` to start only one.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${CHORUS_SHARED_DIR:-$ROOT/../shared}"
PEER="$SHARED/peers/bluesky"
[ -f "$PEER/start.sh" ] || { echo "setup-bluesky: no peer scripts at $PEER" >&2; exit 1; }

BASE="${BSKY_PEER_DIR:-/var/tmp/chorus-bsky}"
FULL="${BSKY_FULL_PEER_DIR:-$BASE-full}"
what="${1:-all}"

if [ "$what" = all ] || [ "$what" = pds ]; then
  BSKY_PEER_DIR="$BASE" BSKY_PEER_MODE=pds bash "$PEER/start.sh"
fi

if [ "$what" = all ] || [ "$what" = full ]; then
  if [ ! -d "$BASE/app/node_modules" ]; then
    BSKY_PEER_DIR="$BASE" BSKY_PEER_MODE=pds bash "$PEER/start.sh" # installs the packages
  fi
  mkdir -p "$FULL"
  for d in app node; do
    if [ -e "$BASE/$d" ] && [ ! -e "$FULL/$d" ]; then ln -s "$BASE/$d" "$FULL/$d"; fi
  done
  BSKY_PEER_DIR="$FULL" BSKY_PEER_MODE=full \
    BSKY_PLC_PORT=2682 BSKY_PDS_PORT=2683 BSKY_APPVIEW_PORT=2684 BSKY_OZONE_PORT=2687 \
    BSKY_PG_PORT="${BSKY_PG_PORT:-25432}" BSKY_REDIS_PORT="${BSKY_REDIS_PORT:-26379}" \
    bash "$PEER/start.sh"
fi
