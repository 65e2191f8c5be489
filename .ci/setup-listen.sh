#!/usr/bin/env bash
# Idempotent: a Python venv with the listening-benchmark peers' dependencies (PyPI):
# wordfreq (vocabulary of ../shared/peers/listen/gen_workload.py), pyahocorasick (peer_aho.py,
# the exact reference matcher) and tantivy (peer_tantivy.py).
# Used by chorus-query's workload-equality test and by bench/listen/run.sh.
# Usage: bash .ci/setup-listen.sh   (prints the venv's python path on the last line)
set -euo pipefail
VENV="${CHORUS_LISTEN_VENV:-/var/tmp/chorus-listen-venv}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" - <<'PY' 2>/dev/null
from importlib.metadata import version
assert version("wordfreq") == "3.1.1"
assert version("pyahocorasick") == "2.3.1"
assert version("tantivy") == "0.27.0"
import wordfreq, ahocorasick, tantivy  # noqa: F401
PY
then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        'wordfreq==3.1.1' 'pyahocorasick==2.3.1' 'tantivy==0.27.0'
fi
echo "$VENV/bin/python"
