#!/usr/bin/env bash
# Reach's confirmation mails delivered to a local SMTP server, with the sender killed midway:
#   1. N people (default 10,000) send the demo's gated-asset form through `chorus serve --roles
#      web` (wrk, 50 connections): N submissions, each with its confirmation mail and send_mail
#      job in the outbox. Nothing is sent yet (no jobs role).
#   2. `chorus serve --roles jobs` with [mail] pointing at a maildev of its own (SMTP
#      127.0.0.1:$SMTP_PORT) sends them; it is SIGKILLed $KILLS times, $KILL_EVERY seconds
#      after each start, then left to finish.
#   3. maildev's REST API is read back: every outbox message must have arrived (none lost);
#      a message that arrived twice has the same Message-ID (derived from its outbox row), and
#      is counted as a duplicate. A message a killed sender was handing over is recorded as
#      sent without being sent again ("presumed delivered", counted): the run fails if one of
#      those did not arrive.
# Printed: the delivery rate over the whole run (kills and restarts included) and over the
# last, uninterrupted part; lost and duplicated counts.
#
#   bash bench/reach/mail.sh                     # 10,000 mails, 3 kills
#   N=2000 KILLS=1 bash bench/reach/mail.sh       # a quick look
#   NO_BUILD=1 bash bench/reach/mail.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
N="${N:-10000}"
KILLS="${KILLS:-3}"
KILL_EVERY="${KILL_EVERY:-4}"
SMTP_PORT="${SMTP_PORT:-1125}"
WEB_PORT="${MAILDEV_WEB_PORT:-1180}"
CACHE="${CACHE:-/var/tmp/chorus-reach-mail-bench}"
for tool in wrk sqlite3 curl python3; do
    command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 2; }
done
if [ -z "${NO_BUILD:-}" ]; then
    echo "building chorus (release)..." >&2
    (cd "$ROOT" && cargo build --release -q -p chorus)
fi
CHORUS="${CARGO_TARGET_DIR:-$ROOT/target}/release/chorus"
MAILDEV="http://127.0.0.1:$WEB_PORT"
# A maildev of its own, so the tests' one is not disturbed (and this one starts empty).
CHORUS_SMTP_PORT="$SMTP_PORT" CHORUS_SMTP_WEB_PORT="$WEB_PORT" bash "$ROOT/.ci/setup-smtp.sh" >/dev/null
curl -fsS -X DELETE "$MAILDEV/email/all" >/dev/null

export CHORUS__LOG__LEVEL=warn
export CHORUS__REACH__SUBMISSIONS_PER_NETWORK_PER_MINUTE=100000
rm -rf "$CACHE"
mkdir -p "$CACHE"
sql() { sqlite3 -cmd ".timeout 30000" "$CACHE/chorus.db" "$1"; }
SERVER=""
trap '[ -n "$SERVER" ] && kill -9 $SERVER 2>/dev/null || true' EXIT

# 1. N submissions through the landing form.
"$CHORUS" serve --demo --port 0 --roles web --data-dir "$CACHE" > "$CACHE/banner.txt" &
SERVER=$!
URL=""
for _ in $(seq 1 1200); do
    URL="$(sed -n 's/^Chorus is running at //p' "$CACHE/banner.txt" | head -1)"
    [ -n "$URL" ] && break
    sleep 0.1
done
[ -n "$URL" ] || { echo "chorus serve did not start" >&2; exit 1; }
URL="${URL/localhost/127.0.0.1}"
PAGE="/r/state-of-social-2027?utm_source=bluesky&utm_medium=social&utm_content=story-1"
LANDING="$(curl -s -H 'Accept-Language: en' "$URL$PAGE")"
FORM="$(printf '%s' "$LANDING" | grep -o 'name="form" value="[^"]*"' | sed 's/.*value="//;s/"$//')"
CONSENT="$(printf '%s' "$LANDING" | grep -o 'name="consent_text" value="[^"]*"' | sed 's/.*value="//;s/"$//')"
[ -n "$FORM" ] && [ -n "$CONSENT" ] || { echo "the demo's landing page has no form" >&2; exit 1; }
echo "queueing $N confirmation mails through the form..."
FORM="$FORM" CONSENT="$CONSENT" LIMIT="$N" wrk -t1 -c50 -d600s \
    -s "$ROOT/bench/reach/submit_n.lua" "$URL$PAGE" > "$CACHE/wrk.txt" &
WRK=$!
bench_mails() { sql "SELECT COUNT(*) FROM mail_outbox WHERE to_address LIKE 'mail-bench-%'"; }
last=-1; still=0
while :; do
    queued=$(bench_mails)
    [ "$queued" -ge "$N" ] && break
    # wrk has sent its N posts once the count stops moving; a post refused queues nothing.
    if [ "$queued" = "$last" ]; then still=$((still + 1)); else still=0; fi
    [ "$still" -ge 20 ] && { echo "only $queued of $N posts queued a mail (see the server's answers)" >&2; exit 1; }
    last=$queued
    sleep 0.5
done
kill $WRK 2>/dev/null || true
kill $SERVER; wait $SERVER 2>/dev/null || true
SERVER=""
TOTAL=$(sql "SELECT COUNT(*) FROM mail_outbox WHERE state = 'queued'")
echo "outbox: $TOTAL messages queued ($N confirmations, $((TOTAL - N)) from the demo)"

# 2. Deliver, with SIGKILLs.
export CHORUS__MAIL__HOST=127.0.0.1 CHORUS__MAIL__PORT="$SMTP_PORT" CHORUS__MAIL__SECURITY=none
export CHORUS__MAIL__FROM="Northwind <reach@northwind.example>"
start_jobs() {
    "$CHORUS" serve --roles jobs --data-dir "$CACHE" > "$CACHE/jobs.txt" 2>&1 &
    SERVER=$!
}
sent() { sql "SELECT COUNT(*) FROM mail_outbox WHERE state = 'sent'"; }
t0=$(date +%s.%N)
for k in $(seq 1 "$KILLS"); do
    start_jobs
    sleep "$KILL_EVERY"
    kill -9 $SERVER; wait $SERVER 2>/dev/null || true
    SERVER=""
    echo "  SIGKILL $k: $(sent) of $TOTAL sent"
done
start_jobs
t1=$(date +%s.%N); s1=$(sent)
# Done when nothing is queued, twice a second apart (the jobs role queues the demo's weekly
# reports as it runs, and may do so just after the queue ran dry).
queued() { sql "SELECT COUNT(*) FROM mail_outbox WHERE state = 'queued'"; }
while :; do
    while [ "$(queued)" -gt 0 ]; do sleep 0.2; done
    t2=$(date +%s.%N); s2=$(sent)
    sleep 1
    [ "$(queued)" -eq 0 ] && break
done
kill $SERVER; wait $SERVER 2>/dev/null || true
SERVER=""
FAILED=$(sql "SELECT COUNT(*) FROM mail_outbox WHERE state <> 'sent'")
PRESUMED=$(sql "SELECT COUNT(*) FROM mail_outbox WHERE last_error LIKE 'presumed delivered%'")

# 3. What arrived.
curl -fsS "$MAILDEV/email" > "$CACHE/arrived.json"
sql "SELECT id || '.' || created_at FROM mail_outbox" > "$CACHE/outbox.txt"
python3 - "$CACHE/arrived.json" "$CACHE/outbox.txt" "$t0" "$t1" "$t2" "$s1" "$s2" "$TOTAL" "$FAILED" "$PRESUMED" <<'PY'
import collections, json, sys
arrived = json.load(open(sys.argv[1]))
outbox = {l.strip() for l in open(sys.argv[2]) if l.strip()}
t0, t1, t2 = map(float, sys.argv[3:6])
s1, s2, total, failed, presumed = map(int, sys.argv[6:11])
ids = collections.Counter()
for m in arrived:
    mid = (m.get("messageId") or m.get("headers", {}).get("message-id") or "").strip("<>")
    # <chorus.{id}.{created}@domain>
    ids[mid.split("@")[0].removeprefix("chorus.")] += 1
lost = len(outbox - set(ids))
dup = sum(c - 1 for c in ids.values() if c > 1)
foreign = len(set(ids) - outbox)
print(f"delivered {len(ids)} distinct messages of the outbox's {len(outbox)} ({total} queued at "
      f"the start; the jobs role queues its own as it runs) in {t2 - t0:.1f} s with the kills: "
      f"{len(outbox) / (t2 - t0):.1f} mails/s overall")
if t2 > t1 and s2 > s1:
    print(f"uninterrupted part: {s2 - s1} mails in {t2 - t1:.1f} s = {(s2 - s1) / (t2 - t1):.0f} mails/s")
print(f"lost: {lost} | duplicated (same Message-ID twice): {dup} | not sent by the outbox: {failed}"
      f" | unknown messages: {foreign} | presumed delivered after a kill (not sent again): {presumed}")
sys.exit(1 if lost or failed or foreign else 0)
PY
