#!/usr/bin/env bash
# Idempotent: poppler-utils (pdftotext, pdfinfo) for the tests that read the Numbers PDF report
# back as text (installed when missing and run as root). Prints pdftotext's path on the last line.
set -euo pipefail
if ! command -v pdftotext >/dev/null || ! command -v pdfinfo >/dev/null; then
  if [ "$(id -u)" != 0 ]; then echo "setup-pdf: poppler-utils missing and we are not root" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq poppler-utils >/dev/null
fi
command -v pdftotext
