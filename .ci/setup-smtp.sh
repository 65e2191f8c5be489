#!/usr/bin/env bash
# Idempotent: a local SMTP server for the mail outbox's tests — maildev (npm), which accepts
# every message on its SMTP port and shows what arrived through its REST API (`GET /email`).
# Installed into $CHORUS_SMTP_DIR (default /var/tmp/chorus-maildev), started on 127.0.0.1 only:
# SMTP on $CHORUS_SMTP_PORT (default 1025), web/API on $CHORUS_SMTP_WEB_PORT (default 1080).
# Prints "SMTP_PORT WEB_PORT" on the last line; tests read it from CHORUS_SMTP.
set -euo pipefail
DIR="${CHORUS_SMTP_DIR:-/var/tmp/chorus-maildev}"
SMTP_PORT="${CHORUS_SMTP_PORT:-1025}"
WEB_PORT="${CHORUS_SMTP_WEB_PORT:-1080}"
VERSION="2.2.1" # the 2.x line: its REST API (GET /email, DELETE /email/all) is what the tests read

command -v node >/dev/null || { echo "setup-smtp: node is not installed" >&2; exit 1; }
if [ ! -x "$DIR/node_modules/.bin/maildev" ]; then
  mkdir -p "$DIR"
  (cd "$DIR" && npm install --no-audit --no-fund --loglevel=error "maildev@$VERSION" >/dev/null)
fi
up() { curl -fsS "http://127.0.0.1:$WEB_PORT/email" >/dev/null 2>&1; }
if ! up; then
  nohup "$DIR/node_modules/.bin/maildev" --ip 127.0.0.1 --smtp "$SMTP_PORT" --web "$WEB_PORT" \
    >"$DIR/maildev.log" 2>&1 &
  for _ in $(seq 1 30); do up && break; sleep 0.5; done
  up || { echo "setup-smtp: maildev did not start; see $DIR/maildev.log" >&2; tail -5 "$DIR/maildev.log" >&2; exit 1; }
fi
echo "$SMTP_PORT $WEB_PORT"
