#!/usr/bin/env bash
# Idempotent: axe-core (npm), the accessibility rules the browser test injects into headless
# Chromium. Installed into $CHORUS_AXE_DIR (default /var/tmp/chorus-axe). Prints the path of
# axe.min.js on the last line; `scripts/test` exports it as CHORUS_AXE, which
# crates/chorus/tests/cli/accessibility.rs reads (it also looks in the default directory).
set -euo pipefail
DIR="${CHORUS_AXE_DIR:-/var/tmp/chorus-axe}"
VERSION="4.10.2" # pinned so a new rule does not fail a build that changed nothing

command -v npm >/dev/null || { echo "setup-axe: npm is not installed" >&2; exit 1; }
JS="$DIR/node_modules/axe-core/axe.min.js"
if [ ! -f "$JS" ] || ! grep -q "\"version\": \"$VERSION\"" "$DIR/node_modules/axe-core/package.json"; then
  mkdir -p "$DIR"
  (cd "$DIR" && npm install --no-audit --no-fund --loglevel=error "axe-core@$VERSION" >/dev/null)
fi
[ -f "$JS" ] || { echo "setup-axe: $JS is missing after npm install" >&2; exit 1; }
echo "$JS"
