#!/usr/bin/env bash
# Idempotent: a Python venv with the reference VADER (vaderSentiment 3.3.2, PyPI) for
# bench/text/ (side-by-side speed) and for re-checking parity by hand.
# Usage: bash .ci/setup-text.sh   (prints the venv's python path on the last line)
set -euo pipefail
VENV="${CHORUS_TEXT_VENV:-/var/tmp/chorus-text-venv}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'from importlib.metadata import version; assert version("vaderSentiment") == "3.3.2"' 2>/dev/null; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'vaderSentiment==3.3.2'
fi
echo "$VENV/bin/python"
