// Records the PDS firehose from the beginning (cursor=0) into a capture file: each frame as a
// 4-byte little-endian length followed by the frame's bytes, exactly as received.
//
//   node capture.mjs <ws-url> <out-file> [max-frames]
import fs from 'node:fs'

const [base = 'ws://localhost:2583', out = 'frames.bin', maxArg = '0'] = process.argv.slice(2)
const max = Number(maxArg)
const url = new URL('/xrpc/com.atproto.sync.subscribeRepos', base)
url.searchParams.set('cursor', '0')
const fd = fs.openSync(out + '.tmp', 'w')
let frames = 0
let bytes = 0
let idle = null
const ws = new WebSocket(url)
ws.binaryType = 'arraybuffer'
const finish = () => {
  ws.close()
  fs.closeSync(fd)
  fs.renameSync(out + '.tmp', out)
  console.log(`[capture] ${frames} frames, ${(bytes / 1e6).toFixed(1)} MB -> ${out}`)
  process.exit(0)
}
const arm = () => { clearTimeout(idle); idle = setTimeout(finish, 4000) }
ws.onopen = arm
ws.onerror = (e) => { console.error('[capture] error', e.message || e); process.exit(2) }
ws.onmessage = (msg) => {
  const b = Buffer.from(msg.data)
  const len = Buffer.alloc(4)
  len.writeUInt32LE(b.length)
  fs.writeSync(fd, len)
  fs.writeSync(fd, b)
  frames++
  bytes += b.length
  if (max > 0 && frames >= max) finish()
  arm()
}
