// Generates activity on the local PDS so its firehose has many frames to capture: posts with
// facets (mentions, links, hashtags), replies, quotes, likes, reposts, follows and deletes, from
// a pool of accounts, with a few writers in parallel. Uses nothing but fetch().
//
//   node generate.mjs <pds-url> <writes>
const [pds = 'http://localhost:2583', writesArg = '1000'] = process.argv.slice(2)
const target = Number(writesArg)
const ACCOUNTS = 24
const WORKERS = 12

async function xrpc(method, nsid, { token, body, params } = {}) {
  const url = new URL(`/xrpc/${nsid}`, pds)
  for (const [k, v] of Object.entries(params || {})) url.searchParams.set(k, v)
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })
    const text = await res.text()
    if (res.ok) return text ? JSON.parse(text) : null
    if (res.status >= 500 && attempt < 3) continue
    throw new Error(`${nsid} -> ${res.status} ${text}`)
  }
}

async function account(i) {
  const handle = `bench${i}.test`
  const password = `bench-pass-${i}`
  try {
    return await xrpc('POST', 'com.atproto.server.createAccount', { body: { handle, password, email: `bench${i}@example.test` } })
  } catch (e) {
    if (!/already taken|HandleNotAvailable/i.test(e.message)) throw e
    return xrpc('POST', 'com.atproto.server.createSession', { body: { identifier: handle, password } })
  }
}

const words = ['launch', 'market', 'story', 'numbers', 'conversation', 'principle', 'share', 'trust', 'café', 'ünïcode', '🎉', 'social']
const pick = (a) => a[Math.floor(Math.random() * a.length)]
const enc = new TextEncoder()

function richPost(mentioned) {
  let text = ''
  const facets = []
  const add = (s, feature) => {
    const start = enc.encode(text).length
    text += s
    if (feature) facets.push({ index: { byteStart: start, byteEnd: enc.encode(text).length }, features: [feature] })
  }
  add(`${pick(words)} ${pick(words)} `)
  const tag = pick(words).replace(/[^\p{L}]/gu, '') || 'chorus'
  add(`#${tag}`, { $type: 'app.bsky.richtext.facet#tag', tag })
  add(' with ')
  add(`@${mentioned.handle}`, { $type: 'app.bsky.richtext.facet#mention', did: mentioned.did })
  add(' see ')
  const uri = `https://example${Math.floor(Math.random() * 50)}.com/${pick(words).replace(/[^a-z]/g, 'x')}`
  add(uri, { $type: 'app.bsky.richtext.facet#link', uri })
  add(` ${pick(words)}`)
  return { text, facets, langs: [pick(['en', 'fi', 'pt', 'de'])] }
}

const sessions = []
for (let i = 0; i < ACCOUNTS; i++) sessions.push(await account(i))
const mine = sessions.map(() => ({ posts: [], likes: [] }))
let done = 0
let failed = 0
const t0 = Date.now()

async function create(who, collection, record) {
  const s = sessions[who]
  const out = await xrpc('POST', 'com.atproto.repo.createRecord', {
    token: s.accessJwt,
    body: { repo: s.did, collection, record: { $type: collection, createdAt: new Date().toISOString(), ...record } },
  })
  return { uri: out.uri, cid: out.cid }
}

async function step() {
  const who = Math.floor(Math.random() * ACCOUNTS)
  const other = sessions[(who + 1 + Math.floor(Math.random() * (ACCOUNTS - 1))) % ACCOUNTS]
  const posts = mine.flatMap((m) => m.posts)
  const r = Math.random()
  if (r < 0.35 || posts.length < 20) {
    const rec = richPost(other)
    if (posts.length && Math.random() < 0.25) { const p = pick(posts); rec.reply = { root: p, parent: p } }
    else if (posts.length && Math.random() < 0.1) rec.embed = { $type: 'app.bsky.embed.record', record: pick(posts) }
    mine[who].posts.push(await create(who, 'app.bsky.feed.post', rec))
  } else if (r < 0.65) {
    mine[who].likes.push(await create(who, 'app.bsky.feed.like', { subject: pick(posts) }))
  } else if (r < 0.77) {
    mine[who].likes.push(await create(who, 'app.bsky.feed.repost', { subject: pick(posts) }))
  } else if (r < 0.85) {
    await create(who, 'app.bsky.graph.follow', { subject: other.did })
  } else {
    const pool = mine[who].likes.length ? mine[who].likes : mine[who].posts
    if (!pool.length) return
    const victim = pool.splice(Math.floor(Math.random() * pool.length), 1)[0]
    const [, collection, rkey] = victim.uri.slice('at://'.length).split('/')
    const s = sessions[who]
    await xrpc('POST', 'com.atproto.repo.deleteRecord', { token: s.accessJwt, body: { repo: s.did, collection, rkey } })
  }
}

async function worker() {
  while (done < target) {
    try { await step(); done++ } catch (e) {
      failed++
      if (/ExpiredToken/.test(e.message)) {
        for (let i = 0; i < ACCOUNTS; i++) sessions[i] = await account(i)
      } else if (failed > 50) throw e
    }
    if (done % 2000 === 0) process.stderr.write(`[generate] ${done}/${target} writes, ${Math.round(done / ((Date.now() - t0) / 1000))}/s\n`)
  }
}
await Promise.all(Array.from({ length: WORKERS }, worker))
console.log(`[generate] ${done} writes in ${((Date.now() - t0) / 1000).toFixed(1)} s (${failed} failed)`)
