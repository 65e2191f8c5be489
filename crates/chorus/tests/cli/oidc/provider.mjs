// Test peer: a real OpenID Connect provider — panva's `oidc-provider` (certified by the OpenID
// Foundation) — that Chorus's tests sign in against, plus a small control API for the tests.
// Started by .ci/setup-oidc.sh as one shared local service; every test registers its own client.
//
//   node provider.mjs [port]        port from the argument, else $CHORUS_OIDC_PORT, else 4455
//   $CHORUS_OIDC_MODULES            the node_modules directory holding oidc-provider (ESM ignores
//                                   NODE_PATH, so the module is imported by absolute file URL)
//
// Issuer http://127.0.0.1:<port>. Authorization-code flow only, PKCE (S256) required for every
// client, client_secret_basic and client_secret_post both accepted, ID tokens signed RS256.
// Scopes openid email profile groups; the scope claims (email, email_verified, name, groups) are
// put into the ID token too (conformIdTokenClaims: false) and are served from userinfo (/me).
//
// Control API (JSON in, 204/JSON out, 400 {"error": "...field..."} on bad input):
//   POST /test/clients      {client_id, client_secret, redirect_uris: [...]}       -> 204
//   PUT  /test/accounts/:id {email, name?, groups?: [...]}                         -> 204
//   POST /test/rotate-keys  new RSA key, provider rebuilt with only that key      -> {kid}
//   POST /test/tamper       {client_id, mode: signature|expired|nonce|issuer|audience|null}
//                           corrupts the ID token of that client's NEXT token response -> 204
//   GET  /test/health                                                              -> 200
//
// Sign-in page (instead of oidc-provider's devInteractions): GET /interaction/:uid renders a form
// with one field, `login` (an account id); POST /interaction/:uid logs that account in and grants
// every requested scope at once, so one form post lands the browser on the client's redirect_uri.
import http from 'node:http';
import path from 'node:path';
import crypto from 'node:crypto';
import { pathToFileURL } from 'node:url';

const PORT = Number(process.argv[2] || process.env.CHORUS_OIDC_PORT || 4455);
const ISSUER = `http://127.0.0.1:${PORT}`;
const MODULES = process.env.CHORUS_OIDC_MODULES;
if (!MODULES) {
  console.error('provider.mjs: set CHORUS_OIDC_MODULES to the node_modules dir holding oidc-provider');
  process.exit(2);
}
const { default: Provider } = await import(
  pathToFileURL(path.join(MODULES, 'oidc-provider', 'lib', 'index.js')).href
);

const log = (...parts) => console.log(new Date().toISOString(), ...parts);

// ---- storage: one module-level Map, so it outlives every Provider instance -----------------------

const store = new Map(); // `${model}:${id}` -> { payload, expiresAt? }
const accounts = new Map(); // account id -> { email, name, groups }
const tamper = new Map(); // client_id -> mode, consumed by that client's next token response

class MemoryAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : undefined;
    store.set(this.key(id), { payload, expiresAt });
    if (payload.grantId) store.set(`grant:${payload.grantId}:${this.key(id)}`, { payload: this.key(id), expiresAt });
    if (payload.userCode) store.set(`userCode:${payload.userCode}`, { payload: id, expiresAt });
    if (payload.uid) store.set(`uid:${this.model}:${payload.uid}`, { payload: id, expiresAt });
  }

  get(key) {
    const entry = store.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt < Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  async find(id) {
    return this.get(this.key(id));
  }

  async findByUserCode(userCode) {
    const id = this.get(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUid(uid) {
    const id = this.get(`uid:${this.model}:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = this.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    const prefix = `grant:${grantId}:`;
    for (const key of [...store.keys()]) {
      if (key.startsWith(prefix)) {
        store.delete(store.get(key).payload);
        store.delete(key);
      }
    }
  }
}

// expired entries are dropped when read; sweep the rest now and then so a long CI run stays small
setInterval(() => {
  const now = Date.now();
  for (const [key, entry] of store) if (entry.expiresAt !== undefined && entry.expiresAt < now) store.delete(key);
}, 60_000).unref();

// ---- keys and the provider (rebuilt on rotation) -------------------------------------------------

const COOKIE_KEYS = [crypto.randomBytes(32).toString('base64url')]; // kept across rebuilds

function newSigningKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `k-${crypto.randomBytes(6).toString('hex')}`;
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, jwk };
}

let signingKey = newSigningKey();
let provider;
let providerHandler;

async function findAccount(_ctx, id) {
  if (!accounts.has(id)) return undefined;
  return {
    accountId: id,
    // read at claim time, so a PUT /test/accounts/:id shows up in the next token
    async claims() {
      const a = accounts.get(id) || { email: undefined, name: undefined, groups: [] };
      return { sub: id, email: a.email, email_verified: true, name: a.name, groups: a.groups };
    },
  };
}

function base64url(buf) {
  return Buffer.from(buf).toString('base64url');
}

// Corrupts the ID token in a token endpoint response as the client's tamper mode says.
function tamperIdToken(idToken, mode, clientId) {
  const [h, p, s] = idToken.split('.');
  if (mode === 'signature') {
    // flip a character in the middle: the last one may only carry padding bits
    const i = Math.floor(s.length / 2);
    const flipped = s[i] === 'A' ? 'B' : 'A';
    return `${h}.${p}.${s.slice(0, i)}${flipped}${s.slice(i + 1)}`;
  }
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case 'expired':
      claims.exp = now - 3600;
      claims.iat = now - 7200;
      break;
    case 'nonce':
      claims.nonce = `tampered-${crypto.randomBytes(6).toString('hex')}`;
      break;
    case 'issuer':
      claims.iss = 'http://127.0.0.1:1/unknown';
      break;
    case 'audience':
      claims.aud = `not-${clientId}`;
      break;
    default:
      return idToken;
  }
  // re-sign with the current key (same header, same kid), so only the claim is wrong
  const payload = base64url(JSON.stringify(claims));
  const signature = crypto.sign('sha256', Buffer.from(`${h}.${payload}`), signingKey.privateKey);
  return `${h}.${payload}.${base64url(signature)}`;
}

function buildProvider() {
  const p = new Provider(ISSUER, {
    adapter: MemoryAdapter,
    findAccount,
    jwks: { keys: [signingKey.jwk] },
    cookies: { keys: COOKIE_KEYS },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    conformIdTokenClaims: false, // scope claims go into the ID token as well
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    pkce: { methods: ['S256'], required: () => true },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 600,
      IdToken: 3600,
      Interaction: 3600,
      Session: 86400,
      Grant: 86400,
    },
  });

  p.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'token' || ctx.status !== 200 || !ctx.body?.id_token) return;
    const clientId = ctx.oidc.client?.clientId;
    const mode = tamper.get(clientId);
    if (mode) {
      tamper.delete(clientId);
      ctx.body = { ...ctx.body, id_token: tamperIdToken(ctx.body.id_token, mode, clientId) };
    }
    const sub = JSON.parse(Buffer.from(ctx.body.id_token.split('.')[1], 'base64url')).sub;
    log(`token issued client=${clientId} sub=${sub} kid=${signingKey.kid} tamper=${mode || 'none'}`);
  });

  p.on('server_error', (_ctx, err) => log('server_error', err));
  return p;
}

function installProvider() {
  provider = buildProvider();
  providerHandler = provider.callback();
}

// ---- helpers -------------------------------------------------------------------------------------

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, body, type = 'application/json') {
  const text = body === undefined ? '' : type === 'application/json' ? JSON.stringify(body) : body;
  res.statusCode = status;
  res.setHeader('Cache-Control', 'no-store');
  if (text) res.setHeader('Content-Type', type === 'text/html' ? 'text/html; charset=utf-8' : type);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

class BadInput extends Error {
  constructor(field, message) {
    super(message || `invalid or missing field: ${field}`);
    this.field = field;
  }
}

async function readJson(req) {
  const text = await readBody(req);
  try {
    const v = JSON.parse(text || 'null');
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v;
  } catch {
    throw new BadInput('body', 'body must be a JSON object');
  }
}

const nonEmptyString = (v) => typeof v === 'string' && v.length > 0;

// ---- control API ---------------------------------------------------------------------------------

const TAMPER_MODES = ['signature', 'expired', 'nonce', 'issuer', 'audience'];

async function control(req, res, url) {
  const route = `${req.method} ${url.pathname}`;
  try {
    if (route === 'GET /test/health') {
      log('control health');
      return send(res, 200, { ok: true, issuer: ISSUER, kid: signingKey.kid });
    }
    if (route === 'POST /test/clients') {
      const b = await readJson(req);
      if (!nonEmptyString(b.client_id)) throw new BadInput('client_id');
      if (!nonEmptyString(b.client_secret)) throw new BadInput('client_secret');
      if (!Array.isArray(b.redirect_uris) || b.redirect_uris.length === 0
        || !b.redirect_uris.every((u) => nonEmptyString(u) && /^https?:\/\//.test(u) && URL.canParse(u))) {
        throw new BadInput('redirect_uris', 'redirect_uris must be a non-empty array of http(s) URLs');
      }
      const metadata = {
        client_id: b.client_id,
        client_secret: b.client_secret,
        redirect_uris: b.redirect_uris,
        application_type: 'web',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic', // client_secret_post is accepted too
        id_token_signed_response_alg: 'RS256',
      };
      try {
        await provider.Client.validate(metadata);
      } catch (err) {
        throw new BadInput('redirect_uris', `client rejected: ${err.error_description || err.message}`);
      }
      await new MemoryAdapter('Client').upsert(b.client_id, metadata);
      tamper.delete(b.client_id);
      log(`control client registered client_id=${b.client_id} redirect_uris=${b.redirect_uris.join(',')}`);
      return send(res, 204);
    }
    const acct = url.pathname.match(/^\/test\/accounts\/([^/]+)$/);
    if (acct && req.method === 'PUT') {
      const id = decodeURIComponent(acct[1]);
      const b = await readJson(req);
      if (!nonEmptyString(b.email)) throw new BadInput('email');
      if (b.name !== undefined && typeof b.name !== 'string') throw new BadInput('name');
      if (b.groups !== undefined && !(Array.isArray(b.groups) && b.groups.every((g) => typeof g === 'string'))) {
        throw new BadInput('groups', 'groups must be an array of strings');
      }
      accounts.set(id, { email: b.email, name: b.name ?? id, groups: b.groups ?? [] });
      log(`control account id=${id} email=${b.email} groups=${JSON.stringify(b.groups ?? [])}`);
      return send(res, 204);
    }
    if (route === 'POST /test/rotate-keys') {
      const old = signingKey.kid;
      signingKey = newSigningKey();
      installProvider();
      log(`control rotate-keys old_kid=${old} new_kid=${signingKey.kid}`);
      return send(res, 200, { kid: signingKey.kid });
    }
    if (route === 'POST /test/tamper') {
      const b = await readJson(req);
      if (!nonEmptyString(b.client_id)) throw new BadInput('client_id');
      if (!('mode' in b) || (b.mode !== null && !TAMPER_MODES.includes(b.mode))) {
        throw new BadInput('mode', `mode must be one of ${TAMPER_MODES.join(', ')} or null`);
      }
      if (b.mode === null) tamper.delete(b.client_id);
      else tamper.set(b.client_id, b.mode);
      log(`control tamper client_id=${b.client_id} mode=${b.mode}`);
      return send(res, 204);
    }
    log(`control unknown ${route}`);
    return send(res, 404, { error: `no such control route: ${route}` });
  } catch (err) {
    if (err instanceof BadInput) {
      log(`control ${route} rejected: ${err.message}`);
      return send(res, 400, { error: err.message, field: err.field });
    }
    throw err;
  }
}

// ---- interactions --------------------------------------------------------------------------------

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(uid, clientId, error, login = '') {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<main>
<h1>Sign in</h1>
<p>to continue to <span id="client">${escapeHtml(clientId)}</span></p>
${error ? `<p id="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}">
<label for="login">Account</label>
<input id="login" name="login" autocomplete="username" required value="${escapeHtml(login)}">
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
`;
}

// A grant for everything the authorization request asked for.
async function grantAll(details, accountId) {
  const { params } = details;
  let grant;
  if (details.grantId) grant = await provider.Grant.find(details.grantId);
  if (!grant) grant = new provider.Grant({ accountId, clientId: params.client_id });
  if (params.scope) grant.addOIDCScope(params.scope);
  const missing = details.prompt?.details || {};
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  if (params.claims) {
    try {
      const c = JSON.parse(params.claims);
      const names = [...Object.keys(c.id_token || {}), ...Object.keys(c.userinfo || {})];
      if (names.length) grant.addOIDCClaims(names);
    } catch { /* the provider has validated it already */ }
  }
  return grant.save();
}

async function interaction(req, res, uid) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    const why = err.error_description || err.message;
    log(`interaction ${uid}: ${why}`);
    return send(res, 400, `<!doctype html><title>Sign-in expired</title><p>${escapeHtml(why)}</p>`, 'text/html');
  }
  if (details.uid !== uid) return send(res, 400, '<!doctype html><title>Wrong interaction</title><p>interaction mismatch</p>', 'text/html');
  const clientId = details.params.client_id;

  // already logged in, only consent missing: consent to everything
  if (details.prompt.name === 'consent' && details.session?.accountId) {
    const grantId = await grantAll(details, details.session.accountId);
    log(`interaction ${uid} consent client=${clientId} account=${details.session.accountId}`);
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  if (req.method === 'GET') return send(res, 200, page(uid, clientId), 'text/html');
  if (req.method !== 'POST') return send(res, 405, 'method not allowed', 'text/plain');

  const form = new URLSearchParams(await readBody(req));
  const login = (form.get('login') || '').trim();
  if (!accounts.has(login)) {
    log(`interaction ${uid} unknown account ${JSON.stringify(login)}`);
    return send(res, 400, page(uid, clientId, `Unknown account: ${login || '(empty)'}`, login), 'text/html');
  }
  const grantId = await grantAll(details, login);
  log(`interaction ${uid} login client=${clientId} account=${login}`);
  return provider.interactionFinished(
    req,
    res,
    { login: { accountId: login }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

// ---- server --------------------------------------------------------------------------------------

installProvider();

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, ISSUER);
  try {
    if (url.pathname.startsWith('/test/')) return await control(req, res, url);
    const m = url.pathname.match(/^\/interaction\/([^/]+)\/?$/);
    if (m) return await interaction(req, res, m[1]);
    return providerHandler(req, res); // read per request: rotate-keys swaps it
  } catch (err) {
    log(`error ${req.method} ${url.pathname}: ${err.stack || err}`);
    if (!res.headersSent) send(res, 500, { error: String(err.message || err) });
  }
});

server.listen(PORT, '127.0.0.1', () => log(`oidc test provider listening, issuer ${ISSUER}, kid ${signingKey.kid}`));
