#!/usr/bin/env bash
# Idempotent: Debian's Chromium and ChromeDriver for the browser tests (installed when missing
# and run as root). Prints the chromedriver path on the last line.
set -euo pipefail
if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null; then
  if [ "$(id -u)" != 0 ]; then echo "setup-chromium: chromium/chromedriver missing and we are not root" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
fi
command -v chromedriver
