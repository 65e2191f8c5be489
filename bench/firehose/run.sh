#!/usr/bin/env bash
# Firehose decoding benchmark: Chorus's Rust decoder vs Bluesky's own JavaScript decoder
# (@atproto/xrpc-server Frame + @atproto/repo readCar/cborToLexRecord), on the same capture of
# real frames recorded from the local PDS. Prints frames/s on one core for each, side by side.
#
#   bash bench/firehose/run.sh            # generate activity if needed, capture, replay
#   FRAMES=50000 ROUNDS=5 bash bench/firehose/run.sh
#
# The activity (posts with facets, replies, quotes, likes, reposts, follows, deletes from 24
# accounts) is written once into the pds-mode peer, whose data persists in $BSKY_PEER_DIR; the
# capture is kept in $BSKY_PEER_DIR/bench/frames.bin and reused while it has enough frames.
# Generating 50,000 writes takes the reference PDS (single-threaded Node) 15–60 minutes here.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/bench/firehose"
FRAMES="${FRAMES:-50000}"
ROUNDS="${ROUNDS:-5}"
PEER_DIR="${BSKY_PEER_DIR:-/var/tmp/chorus-bsky}"
CAPTURE="${CHORUS_FIREHOSE_CAPTURE:-$PEER_DIR/bench/frames.bin}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

BSKY_PEER_DIR="$PEER_DIR" bash "$ROOT/.ci/setup-bluesky.sh" pds > /dev/null
set -a; . "$PEER_DIR/peer.env"; set +a
APP="$PEER_DIR/app"
cp "$HERE/generate.mjs" "$HERE/capture.mjs" "$HERE/js-decode.mjs" "$APP/"
mkdir -p "$(dirname "$CAPTURE")"

count_frames() { # frames in a capture file (4-byte little-endian length prefixes)
  [ -f "$1" ] || { echo 0; return; }
  "$BSKY_NODE" -e '
    const b = require("fs").readFileSync(process.argv[1]); let n = 0
    for (let p = 0; p + 4 <= b.length; p += 4 + b.readUInt32LE(p)) n++
    console.log(n)' "$1"
}

have=$(count_frames "$CAPTURE")
if [ "$have" -lt "$FRAMES" ]; then
  # How many events does the PDS already hold? Capture them all and see.
  (cd "$APP" && "$BSKY_NODE" capture.mjs "${BSKY_PDS_URL/http/ws}" "$CAPTURE")
  have=$(count_frames "$CAPTURE")
  if [ "$have" -lt "$FRAMES" ]; then
    need=$(( FRAMES - have + 200 ))
    echo "[bench] the PDS holds $have events; generating $need more writes"
    (cd "$APP" && "$BSKY_NODE" generate.mjs "$BSKY_PDS_URL" "$need")
    (cd "$APP" && "$BSKY_NODE" capture.mjs "${BSKY_PDS_URL/http/ws}" "$CAPTURE")
    have=$(count_frames "$CAPTURE")
  fi
fi
echo "[bench] capture: $CAPTURE, $have frames, $(( $(stat -c %s "$CAPTURE") / 1000000 )) MB"

cargo build --release -q -p chorus-networks --example firehose_decode
RUST_OUT="$("$CARGO_TARGET_DIR/release/examples/firehose_decode" "$CAPTURE" "$ROUNDS")"
JS_OUT="$(cd "$APP" && "$BSKY_NODE" js-decode.mjs "$CAPTURE" "$(( ROUNDS > 2 ? 2 : ROUNDS ))")"

"$BSKY_NODE" -e '
  const rows = process.argv.slice(1).join("\n").split("\n").filter(Boolean).map(JSON.parse)
  const js = rows.find((r) => r.decoder === "js @atproto").frames_per_s
  console.log("\nfirehose decoding, one core, same capture (" + rows[0].frames + " frames):")
  console.log("decoder".padEnd(40) + "frames/s".padStart(12) + "   vs JS")
  for (const r of rows) console.log(r.decoder.padEnd(40) + String(r.frames_per_s).padStart(12) + ("   " + (r.frames_per_s / js).toFixed(1) + "x"))
  const rust = rows.find((r) => r.decoder === "chorus (rust)").frames_per_s
  console.log("\ntargets: >= 100000 frames/s per core: " + (rust >= 100000 ? "met" : "NOT met") +
    "; >= 10x the JS decoder: " + (rust >= 10 * js ? "met" : "NOT met"))
' "$RUST_OUT" "$JS_OUT"
