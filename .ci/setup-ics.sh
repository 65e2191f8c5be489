#!/usr/bin/env bash
# Idempotent: a Python venv with icalendar (PyPI), the independent iCalendar parser the webinar
# tests read Chorus's invitations back with (UID, SEQUENCE, METHOD, the zone and its offsets).
# Usage: bash .ci/setup-ics.sh   (prints the venv's python path on the last line)
set -euo pipefail
VENV="${CHORUS_ICS_VENV:-/var/tmp/chorus-ics-venv}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'from importlib.metadata import version; assert version("icalendar") == "7.3.0"; import icalendar' 2>/dev/null; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check 'icalendar==7.3.0'
fi
echo "$VENV/bin/python"
