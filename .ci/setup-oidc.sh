#!/usr/bin/env bash
# Idempotent: a local OpenID Connect provider for the sign-in tests — panva's oidc-provider (npm,
# certified by the OpenID Foundation), run by crates/chorus/tests/cli/oidc/provider.mjs, which adds
# a control API for the tests (POST /test/clients, PUT /test/accounts/:id, POST /test/rotate-keys,
# POST /test/tamper, GET /test/health) and a one-field sign-in page at /interaction/:uid.
# Installed into $CHORUS_OIDC_DIR (default /var/tmp/chorus-oidc), started on 127.0.0.1 only, on
# $CHORUS_OIDC_PORT (default 4455); logs to $CHORUS_OIDC_DIR/provider.log.
# Prints the issuer URL (http://127.0.0.1:PORT) on the last line; tests read it from CHORUS_OIDC.
set -euo pipefail
DIR="${CHORUS_OIDC_DIR:-/var/tmp/chorus-oidc}"
PORT="${CHORUS_OIDC_PORT:-4455}"
VERSION="8.8.1" # the last 8.x: supports node 18/20/22 (every 9.x asks for node 22+)
PROVIDER="$(cd "$(dirname "$0")/../crates/chorus/tests/cli/oidc" && pwd)/provider.mjs"
ISSUER="http://127.0.0.1:$PORT"

command -v node >/dev/null || { echo "setup-oidc: node is not installed" >&2; exit 1; }
[ -f "$PROVIDER" ] || { echo "setup-oidc: $PROVIDER is missing" >&2; exit 1; }
if [ "$(node -p "try{require('$DIR/node_modules/oidc-provider/package.json').version}catch{''}" 2>/dev/null)" != "$VERSION" ]; then
  mkdir -p "$DIR"
  (cd "$DIR" && npm install --no-audit --no-fund --loglevel=error "oidc-provider@$VERSION" >/dev/null)
fi
up() { curl -fsS "$ISSUER/.well-known/openid-configuration" >/dev/null 2>&1; }
if ! up; then
  CHORUS_OIDC_MODULES="$DIR/node_modules" CHORUS_OIDC_PORT="$PORT" \
    nohup node "$PROVIDER" "$PORT" >"$DIR/provider.log" 2>&1 </dev/null &
  for _ in $(seq 1 30); do up && break; sleep 0.5; done
  up || { echo "setup-oidc: the OIDC provider did not start; see $DIR/provider.log" >&2; tail -5 "$DIR/provider.log" >&2; exit 1; }
fi
echo "$ISSUER"
