// Bluesky's own JavaScript firehose decoding, timed on a capture file: for each frame
// Frame.fromBytes (@atproto/xrpc-server: DAG-CBOR header + body), then for #commit frames
// readCar (@atproto/repo) and cborToLexRecord for every op's record — what @atproto/sync's
// Firehose does per event. Prints frames/s on one core (Node runs this on one thread).
//
//   node js-decode.mjs <capture-file> [rounds]
import fs from 'node:fs'
import { Frame } from '@atproto/xrpc-server'
import { readCar, cborToLexRecord } from '@atproto/repo'

const [file, roundsArg = '3'] = process.argv.slice(2)
const buf = fs.readFileSync(file)
const frames = []
for (let pos = 0; pos + 4 <= buf.length;) {
  const len = buf.readUInt32LE(pos)
  frames.push(new Uint8Array(buf.buffer, buf.byteOffset + pos + 4, len))
  pos += 4 + len
}

async function decodeAll(verify) {
  let records = 0
  let errors = 0
  for (const bytes of frames) {
    try {
      const frame = Frame.fromBytes(bytes)
      if (frame.header.t === '#commit') {
        const body = frame.body
        const car = await readCar(body.blocks, { skipCidVerification: !verify })
        for (const op of body.ops) {
          if (!op.cid) continue
          const raw = car.blocks.get(op.cid)
          if (raw) { cborToLexRecord(raw); records++ }
        }
      }
    } catch (e) {
      errors++
    }
  }
  return { records, errors }
}

const rounds = Number(roundsArg)
for (const verify of [false, true]) {
  await decodeAll(verify) // warm-up
  const t0 = process.hrtime.bigint()
  let r
  for (let i = 0; i < rounds; i++) r = await decodeAll(verify)
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  const fps = (frames.length * rounds) / s
  console.log(JSON.stringify({ decoder: verify ? 'js @atproto (CID verification on)' : 'js @atproto', frames: frames.length, records: r.records, errors: r.errors, seconds: +s.toFixed(3), frames_per_s: Math.round(fps) }))
}
