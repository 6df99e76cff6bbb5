// Drives Warden's OAuth 2.0 / OpenID Connect provider as a relying party
// built on openid-client, which checks every response strictly. Started by
// TestOpenIDClientNode (test/e2e/openid_client_test.go), which runs the
// server, a login/consent/logout app and registers the clients named here.
//
// The tests share one browser (a cookie jar) and run in file order: the
// login session made by the first flow is reused by the later ones and
// ended by the last.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, webcrypto } from 'node:crypto';

// openid-client uses the WebCrypto global, which Node.js 18 (Debian
// bookworm's) has only behind a flag; install it before loading the library.
globalThis.crypto ??= webcrypto;
const client = await import('openid-client');

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set; run this through go test ./test/e2e -run OpenIDClient`);
  return v;
}

const issuer = env('WARDEN_ISSUER');
const adminURL = env('WARDEN_ADMIN_URL');
const redirectURI = env('WARDEN_REDIRECT_URI');
const postLogoutURI = env('WARDEN_POST_LOGOUT_REDIRECT_URI');
const webID = env('WARDEN_CLIENT_ID');
const webSecret = env('WARDEN_CLIENT_SECRET');
const publicID = env('WARDEN_PUBLIC_CLIENT_ID');
const serviceID = env('WARDEN_SERVICE_CLIENT_ID');
const serviceSecret = env('WARDEN_SERVICE_CLIENT_SECRET');
const hybridID = process.env.WARDEN_HYBRID_CLIENT_ID;
const hybridSecret = process.env.WARDEN_HYBRID_CLIENT_SECRET;

const scope = 'openid offline_access email';
// The server's issuer is plain http on a loopback port: openid-client's
// documented switch for that is allowInsecureRequests.
const insecure = { execute: [client.allowInsecureRequests] };

// ---------------------------------------------------------------------------
// A minimal browser: fetch without following redirects, plus a cookie jar
// keyed by host (name=value only; Max-Age=0 or a past Expires deletes).

// setCookies lists the Set-Cookie lines of a response. Node.js builds whose
// fetch lacks Headers.getSetCookie (Debian bookworm's Node.js 18) only give
// them joined with ", ": split where a new name=value starts, which an
// Expires date (", 21 Oct ...") does not look like.
function setCookies(headers) {
  if (typeof headers.getSetCookie === 'function') return headers.getSetCookie();
  const joined = headers.get('set-cookie');
  return joined ? joined.split(/,\s*(?=[^;,\s=]+=)/) : [];
}

class Browser {
  #jar = new Map(); // host -> Map(name -> value)

  #cookies(url) {
    const m = this.#jar.get(url.host);
    return m ? [...m].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  #store(url, res) {
    for (const line of setCookies(res.headers)) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let expired = false;
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        const key = k.trim().toLowerCase();
        if (key === 'max-age' && Number(v) <= 0) expired = true;
        if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      if (!this.#jar.has(url.host)) this.#jar.set(url.host, new Map());
      const m = this.#jar.get(url.host);
      if (expired) m.delete(name);
      else m.set(name, value);
    }
  }

  async request(url, init = {}) {
    url = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.#cookies(url);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.#store(url, res);
    return res;
  }

  // navigate follows Location headers from start until one points at a URL
  // whose origin and path equal stopAt (returned, not fetched), or a
  // response is not a redirect (returned as a page).
  async navigate(start, stopAt) {
    const stop = new URL(stopAt);
    let url = new URL(start);
    const hops = [];
    for (let i = 0; i < 20; i++) {
      const res = await this.request(url);
      hops.push(`${res.status} ${url.origin}${url.pathname}`);
      if (res.status >= 300 && res.status < 400) {
        await res.arrayBuffer();
        const loc = res.headers.get('location');
        assert.ok(loc, `redirect without Location from ${url}`);
        const next = new URL(loc, url);
        if (next.origin === stop.origin && next.pathname === stop.pathname) {
          return { redirect: next, hops };
        }
        url = next;
        continue;
      }
      return { page: { url, status: res.status, headers: res.headers, body: await res.text() }, hops };
    }
    throw new Error(`too many redirects: ${hops.join(' -> ')}`);
  }

  // arrive navigates and insists on ending with a redirect to stopAt.
  async arrive(start, stopAt) {
    const out = await this.navigate(start, stopAt);
    if (!out.redirect) {
      const p = out.page;
      assert.fail(`flow ended at ${p.url} with ${p.status} instead of reaching ${stopAt}: ${p.body.slice(0, 500)}\n` +
        `hops: ${out.hops.join(' -> ')}`);
    }
    return out.redirect;
  }
}

// ---------------------------------------------------------------------------
// Helpers

function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (_, e) => {
    const l = e.toLowerCase();
    if (l.startsWith('#x')) return String.fromCodePoint(parseInt(l.slice(2), 16));
    if (l.startsWith('#')) return String.fromCodePoint(parseInt(l.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[l];
  });
}

function attr(tag, name) {
  const m = tag.match(new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, 'i'));
  return m ? decodeEntities(m[1] ?? m[2]) : undefined;
}

// parseFormPost reads an auto-submitting response_mode=form_post page.
function parseFormPost(html) {
  const form = html.match(/<form\b[^>]*>/i);
  assert.ok(form, `no <form> in the form_post page: ${html.slice(0, 300)}`);
  assert.equal(attr(form[0], 'method')?.toLowerCase(), 'post');
  const params = new URLSearchParams();
  for (const m of html.matchAll(/<input\b[^>]*>/gi)) {
    if (attr(m[0], 'type')?.toLowerCase() !== 'hidden') continue;
    params.append(attr(m[0], 'name'), attr(m[0], 'value') ?? '');
  }
  return { action: attr(form[0], 'action'), params };
}

// formPostRequest is the POST a browser makes when it submits the form.
function formPostRequest(action, params) {
  return new Request(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: params.toString(),
  });
}

function jwtPart(jwt, i) {
  return JSON.parse(Buffer.from(jwt.split('.')[i], 'base64url').toString('utf8'));
}

// halfHash is at_hash/c_hash (OIDC Core 3.1.3.6, 3.3.2.11) for a JWS alg.
function halfHash(alg, value) {
  const h = /384$/.test(alg) ? 'sha384' : /512$/.test(alg) || alg === 'EdDSA' ? 'sha512' : 'sha256';
  const d = createHash(h).update(value, 'ascii').digest();
  return d.subarray(0, d.length / 2).toString('base64url');
}

async function introspect(token) {
  const res = await fetch(new URL('/admin/oauth2/introspect', adminURL), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ token }),
  });
  assert.equal(res.status, 200, 'introspection status');
  return res.json();
}

// rejects asserts fn fails with an openid-client error whose code, or the
// message of the error or of its cause, matches want.
async function rejects(fn, want, what) {
  await assert.rejects(fn, (err) => {
    const text = [err.code, err.error, err.message, err.cause?.message].filter(Boolean).join(' | ');
    assert.match(text, want, `${what}: ${text}`);
    return true;
  }, what);
}

// authorize builds an authorization request (code, PKCE S256, state,
// nonce) and returns its URL with the checks for its response.
async function authorize(config, extra = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const checks = {
    pkceCodeVerifier: verifier,
    expectedState: client.randomState(),
    expectedNonce: client.randomNonce(),
  };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectURI,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: checks.expectedState,
    nonce: checks.expectedNonce,
    ...extra,
  });
  return { url, checks };
}

// checkTokens asserts what every code flow here must give.
async function checkTokens(config, tokens, clientID, nonce) {
  assert.equal(tokens.token_type, 'bearer');
  assert.ok(tokens.access_token, 'access_token');
  assert.ok(tokens.refresh_token, 'refresh_token (offline_access was granted)');
  assert.ok(tokens.expires_in > 0, 'expires_in');
  assert.deepEqual(tokens.scope.split(' ').sort(), scope.split(' ').sort());
  const claims = tokens.claims();
  assert.ok(claims, 'an ID token');
  assert.equal(claims.iss, issuer);
  assert.equal(claims.sub, 'alice');
  assert.deepEqual([claims.aud].flat(), [clientID]);
  assert.equal(claims.nonce, nonce);
  assert.equal(claims.email, 'alice@example.com');
  assert.equal(claims.email_verified, true);
  assert.equal(claims.acr, 'urn:warden:pwd');
  assert.deepEqual(claims.amr, ['pwd']);
  assert.equal(typeof claims.auth_time, 'number');
  assert.ok(claims.sid, 'sid');
  // openid-client does not check at_hash in the code flow (it is optional
  // there, OIDC Core 3.1.3.8); Warden sends it, so check it here.
  const header = jwtPart(tokens.id_token, 0);
  assert.equal(claims.at_hash, halfHash(header.alg, tokens.access_token), 'at_hash');
  assert.ok(header.kid, 'kid in the ID token header');

  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.sub, 'alice');
  assert.equal(info.email, 'alice@example.com');
  await rejects(() => client.fetchUserInfo(config, tokens.access_token, 'bob'), /sub|subject/i,
    'userinfo for another subject');
  return claims;
}

// ---------------------------------------------------------------------------

const browser = new Browser();
let web, spa, service; // openid-client Configurations

before(async () => {
  const server = new URL(issuer);
  web = await client.discovery(server, webID, { redirect_uris: [redirectURI] },
    client.ClientSecretBasic(webSecret), insecure);
  spa = await client.discovery(server, publicID, { redirect_uris: [redirectURI] }, client.None(), insecure);
  service = await client.discovery(server, serviceID, undefined, client.ClientSecretBasic(serviceSecret), insecure);
});

test('discovery document', () => {
  const md = web.serverMetadata();
  assert.equal(md.issuer, issuer);
  for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint',
    'revocation_endpoint', 'end_session_endpoint']) {
    assert.equal(new URL(md[k]).origin, new URL(issuer).origin, k);
  }
  assert.ok(md.code_challenge_methods_supported.includes('S256'));
  assert.ok(md.response_modes_supported.includes('form_post'));
  assert.ok(md.token_endpoint_auth_methods_supported.includes('client_secret_basic'));
  assert.ok(md.token_endpoint_auth_methods_supported.includes('none'));
  assert.equal(md.authorization_response_iss_parameter_supported, true);
  assert.ok(md.id_token_signing_alg_values_supported.includes('RS256'));
});

test('authorization code + PKCE, confidential client (client_secret_basic)', async () => {
  const { url, checks } = await authorize(web);
  const cb = await browser.arrive(url, redirectURI);
  assert.ok(cb.searchParams.get('code'), `callback ${cb}`);

  // RFC 9207: the response names its issuer, and the library compares it.
  assert.equal(cb.searchParams.get('iss'), issuer);
  const forged = new URL(cb);
  forged.searchParams.set('iss', 'http://evil.example');
  await rejects(() => client.authorizationCodeGrant(web, forged, checks), /iss/, 'a wrong iss');
  const missing = new URL(cb);
  missing.searchParams.delete('iss');
  await rejects(() => client.authorizationCodeGrant(web, missing, checks), /iss/, 'no iss');
  await rejects(() => client.authorizationCodeGrant(web, cb, { ...checks, expectedState: 'other' }), /state/,
    'a wrong state');

  const tokens = await client.authorizationCodeGrant(web, cb, checks);
  await checkTokens(web, tokens, webID, checks.expectedNonce);
  assert.equal((await introspect(tokens.access_token)).active, true);

  // The code is single-use, and a replay revokes what it gave.
  await rejects(() => client.authorizationCodeGrant(web, cb, checks), /invalid_grant/, 'a replayed code');
  assert.equal((await introspect(tokens.access_token)).active, false, 'tokens of a replayed code are revoked');
});

test('authorization code + PKCE, public client (none)', async () => {
  const own = new Browser();
  const { url, checks } = await authorize(spa);
  const cb = await own.arrive(url, redirectURI);
  assert.equal(cb.searchParams.get('iss'), issuer);
  // PKCE is bound: another verifier fails.
  await rejects(() => client.authorizationCodeGrant(spa, cb, { ...checks,
    pkceCodeVerifier: client.randomPKCECodeVerifier() }), /invalid_grant/, 'a wrong code_verifier');
  const { url: url2, checks: checks2 } = await authorize(spa);
  const tokens = await client.authorizationCodeGrant(spa, await own.arrive(url2, redirectURI), checks2);
  await checkTokens(spa, tokens, publicID, checks2.expectedNonce);
  const refreshed = await client.refreshTokenGrant(spa, tokens.refresh_token);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  assert.equal(refreshed.claims()?.sub, 'alice');
  // A public client revokes with its client_id alone.
  await client.tokenRevocation(spa, refreshed.refresh_token);
  assert.equal((await introspect(refreshed.refresh_token)).active, false);
  assert.equal((await introspect(refreshed.access_token)).active, false);
});

test('refresh token rotation and reuse detection', async () => {
  const { url, checks } = await authorize(web);
  const first = await client.authorizationCodeGrant(web, await browser.arrive(url, redirectURI), checks);
  const second = await client.refreshTokenGrant(web, first.refresh_token);
  assert.ok(second.refresh_token);
  assert.notEqual(second.refresh_token, first.refresh_token, 'the refresh token rotates');
  assert.notEqual(second.access_token, first.access_token);
  const claims = second.claims();
  assert.ok(claims, 'an ID token on refresh');
  assert.equal(claims.sub, 'alice');
  assert.equal(claims.nonce, undefined, 'no nonce in a refreshed ID token');
  assert.equal(claims.at_hash, halfHash(jwtPart(second.id_token, 0).alg, second.access_token));
  assert.equal((await introspect(second.access_token)).active, true);

  let err;
  try {
    await client.refreshTokenGrant(web, first.refresh_token);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof client.ResponseBodyError, `reuse must fail with an OAuth error, got ${err}`);
  assert.equal(err.error, 'invalid_grant');
  assert.equal(err.status, 400);
  // Reuse revokes the whole grant.
  assert.equal((await introspect(second.refresh_token)).active, false);
  assert.equal((await introspect(second.access_token)).active, false);
  // The revoked access token is refused at userinfo with an RFC 6750
  // challenge the library parses.
  await assert.rejects(() => client.fetchUserInfo(web, second.access_token, 'alice'), (e) => {
    assert.ok(e instanceof client.WWWAuthenticateChallengeError, String(e));
    assert.equal(e.status, 401);
    assert.equal(e.cause[0].scheme, 'bearer');
    assert.equal(e.cause[0].parameters.error, 'invalid_token');
    return true;
  });
});

test('client credentials, revocation and introspection', async () => {
  const tokens = await client.clientCredentialsGrant(service, { scope: 'read' });
  assert.equal(tokens.token_type, 'bearer');
  assert.equal(tokens.refresh_token, undefined);
  assert.equal(tokens.id_token, undefined);
  assert.equal(tokens.scope, 'read');
  const active = await introspect(tokens.access_token);
  assert.equal(active.active, true);
  assert.equal(active.client_id, serviceID);
  assert.equal(active.scope, 'read');
  assert.equal(active.iss, issuer);
  await client.tokenRevocation(service, tokens.access_token);
  assert.deepEqual(await introspect(tokens.access_token), { active: false });
  // Revoking again, or something unknown, is not an error (RFC 7009 2.2).
  await client.tokenRevocation(service, tokens.access_token);
  await client.tokenRevocation(service, 'not-a-token');

  // A wrong secret sent with HTTP Basic is a 401 invalid_client with a
  // Basic challenge (RFC 6749 5.2), which the library reports as such.
  const wrong = await client.discovery(new URL(issuer), serviceID, undefined, client.ClientSecretBasic('wrong'), insecure);
  let err;
  await client.clientCredentialsGrant(wrong, { scope: 'read' }).catch((e) => { err = e; });
  assert.ok(err instanceof client.WWWAuthenticateChallengeError, String(err));
  assert.equal(err.status, 401);
  assert.equal(err.cause[0].scheme, 'basic');
  assert.equal((await err.response.json()).error, 'invalid_client');
});

test('revoking a refresh token ends its grant', async () => {
  const { url, checks } = await authorize(web);
  const tokens = await client.authorizationCodeGrant(web, await browser.arrive(url, redirectURI), checks);
  await client.tokenRevocation(web, tokens.refresh_token, { token_type_hint: 'refresh_token' });
  assert.equal((await introspect(tokens.refresh_token)).active, false);
  assert.equal((await introspect(tokens.access_token)).active, false);
  await rejects(() => client.refreshTokenGrant(web, tokens.refresh_token), /invalid_grant/, 'refresh after revocation');
});

test('response_mode form_post', async () => {
  const { url, checks } = await authorize(web, { response_mode: 'form_post' });
  const out = await browser.navigate(url, redirectURI);
  assert.ok(out.page, `expected the form_post page, got a redirect to ${out.redirect}`);
  const { page } = out;
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.equal(page.headers.get('cache-control'), 'no-store');
  const { action, params } = parseFormPost(page.body);
  assert.equal(action, redirectURI);
  assert.equal(params.get('iss'), issuer);
  assert.equal(params.get('state'), checks.expectedState);
  assert.ok(params.get('code'));

  const forged = new URLSearchParams(params);
  forged.set('iss', 'http://evil.example');
  await rejects(() => client.authorizationCodeGrant(web, formPostRequest(action, forged), checks), /iss/,
    'a wrong iss in a form_post response');

  const tokens = await client.authorizationCodeGrant(web, formPostRequest(action, params), checks);
  assert.equal(tokens.claims().sub, 'alice');
  assert.equal(tokens.claims().nonce, checks.expectedNonce);
});

test('hybrid flow (code id_token): c_hash checked by the library', { skip: !hybridID && 'no hybrid client' }, async () => {
  const hybrid = await client.discovery(new URL(issuer), hybridID, { redirect_uris: [redirectURI] },
    client.ClientSecretBasic(hybridSecret), { execute: [client.allowInsecureRequests, client.useCodeIdTokenResponseType] });
  const { url, checks } = await authorize(hybrid, { response_mode: 'form_post' });
  assert.equal(url.searchParams.get('response_type'), 'code id_token');
  const out = await browser.navigate(url, redirectURI);
  assert.ok(out.page, `expected the form_post page, got a redirect to ${out.redirect}`);
  const { action, params } = parseFormPost(out.page.body);
  assert.ok(params.get('id_token') && params.get('code'));
  // With an ID token in the response the library authenticates the issuer
  // by the token's iss, not by RFC 9207's parameter: check that here.
  assert.equal(params.get('iss'), issuer);
  assert.equal(params.get('state'), checks.expectedState);
  // A code swapped for another does not match the ID token's c_hash.
  const swapped = new URLSearchParams(params);
  swapped.set('code', params.get('code').slice(0, -2) + (params.get('code').endsWith('AA') ? 'BB' : 'AA'));
  await rejects(() => client.authorizationCodeGrant(hybrid, formPostRequest(action, swapped), checks), /c_hash/,
    'a swapped code');
  const tokens = await client.authorizationCodeGrant(hybrid, formPostRequest(action, params), checks);
  assert.equal(tokens.claims().sub, 'alice');
});

test('RP-initiated logout', async () => {
  // The login session is alive: prompt=none succeeds (login and consent
  // are skipped).
  const { url: silent, checks } = await authorize(web, { prompt: 'none' });
  const ok = await client.authorizationCodeGrant(web, await browser.arrive(silent, redirectURI), checks);
  assert.equal(ok.claims().sub, 'alice');

  const state = client.randomState();
  const end = client.buildEndSessionUrl(web, {
    id_token_hint: ok.id_token,
    post_logout_redirect_uri: postLogoutURI,
    state,
  });
  assert.equal(end.origin + end.pathname, web.serverMetadata().end_session_endpoint);
  assert.equal(end.searchParams.get('client_id'), webID);
  const out = await browser.navigate(end, postLogoutURI);
  assert.ok(out.redirect, `logout did not reach ${postLogoutURI}: ${out.page?.status} ${out.page?.body.slice(0, 300)}`);
  assert.ok(out.hops.some((h) => h.endsWith('/logout')), `the logout app was not asked: ${out.hops.join(' -> ')}`);
  assert.equal(out.redirect.searchParams.get('state'), state);

  // The session is gone: prompt=none now comes back with login_required,
  // an error response that still carries iss and state.
  const { url: after, checks: afterChecks } = await authorize(web, { prompt: 'none' });
  const cb = await browser.arrive(after, redirectURI);
  assert.equal(cb.searchParams.get('iss'), issuer);
  await assert.rejects(() => client.authorizationCodeGrant(web, cb, afterChecks), (err) => {
    assert.ok(err instanceof client.AuthorizationResponseError, String(err));
    assert.equal(err.error, 'login_required');
    return true;
  });
});
