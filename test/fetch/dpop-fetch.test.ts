import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { Agent, interceptors, request } from 'undici'
import { createAuthFetch, TokenClient, tokenInterceptor, type TokenClientOptions } from '../../src/index.js'
import { athOf, dpopToken, dpopServersClosedAfter, type DpopAnswer, type DpopResponder, type SeenDpopRequest } from '../helpers/dpop-server.js'

const SECRET = 'a-client-secret-of-at-least-32-bytes-0123456789'
const server = dpopServersClosedAfter()
const closers: Array<() => Promise<void>> = []
after(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

/** A token server handing out numbered DPoP tokens. */
async function tokenServer() {
  return server((_request, index) => dpopToken(`tok-${index + 1}`))
}

function client(tokenUrl: string, options: Partial<TokenClientOptions> = {}): TokenClient {
  const made = new TokenClient({ tokenUrl, clientId: 'svc', clientSecret: SECRET, dpop: true, retry: { minDelayMs: 1, maxDelayMs: 2 }, ...options })
  closers.push(() => made.close())
  return made
}

function agentFor(c: TokenClient, origins: string[], redirectFirst = false) {
  const agent = new Agent()
  closers.push(() => agent.close())
  const interceptor = tokenInterceptor({ client: c, scope: 'api:read', origins })
  return redirectFirst
    ? agent.compose(interceptors.redirect({ maxRedirections: 3 }), interceptor)
    : agent.compose(interceptor, interceptors.redirect({ maxRedirections: 3 }))
}

const ok: DpopAnswer = { body: { ok: true } }
const nonceChallenge = (nonce: string): DpopAnswer => ({
  status: 401,
  headers: { 'www-authenticate': 'DPoP algs="ES256", error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"', 'dpop-nonce': nonce },
})

/** Checks a resource request: DPoP <token>, a proof for this method and URL, with the token's ath. */
function assertCarries(seen: SeenDpopRequest, token: string, method: string, htu: string, c: TokenClient) {
  assert.equal(seen.headers.authorization, `DPoP ${token}`)
  assert.ok(seen.proof, 'a proof')
  assert.equal(seen.proof.payload.htm, method)
  assert.equal(seen.proof.payload.htu, htu)
  assert.equal(seen.proof.payload.ath, athOf(token))
  assert.equal(seen.proof.jkt, c.options.dpop?.keyThumbprint)
}

const senders = {
  fetch: (c: TokenClient, origins: string[]) => {
    const authFetch = createAuthFetch(c, { scope: 'api:read', origins })
    return async (url: string, method = 'GET', body?: string) => {
      const response = await authFetch(url, { method, ...(body !== undefined && { body }) })
      await response.arrayBuffer()
      return response.status
    }
  },
  interceptor: (c: TokenClient, origins: string[]) => {
    const dispatcher = agentFor(c, origins)
    return async (url: string, method = 'GET', body?: string) => {
      const response = await request(url, { dispatcher, method: method as 'GET', ...(body !== undefined && { body }) })
      await response.body.arrayBuffer()
      return response.statusCode
    }
  },
}

for (const [name, makeSender] of Object.entries(senders)) {
  test(`${name}: DPoP <token> and a new proof per request, with htm, htu without query, ath`, async () => {
    const as = await tokenServer()
    const rs = await server(() => ok)
    const c = client(`${as.origin}/token`)
    const send = makeSender(c, [rs.origin])
    assert.equal(await send(`${rs.origin}/orders?page=2`), 200)
    assert.equal(await send(`${rs.origin}/orders`, 'POST', '{"a":1}'), 200)
    assert.equal(as.seen.length, 1, 'one token')
    assertCarries(rs.seen[0]!, 'tok-1', 'GET', `${rs.origin}/orders`, c)
    assertCarries(rs.seen[1]!, 'tok-1', 'POST', `${rs.origin}/orders`, c)
    assert.notEqual(rs.seen[0]!.proof!.payload.jti, rs.seen[1]!.proof!.payload.jti)
    // A request to an origin not listed carries neither.
    const other = await server(() => ok)
    await send(`${other.origin}/x`)
    assert.equal(other.seen[0]!.headers.authorization, undefined)
    assert.equal(other.seen[0]!.proofText, undefined)
  })

  test(`${name}: 401 use_dpop_nonce: one retry with the resource's nonce; then used at once; never twice`, async () => {
    const as = await tokenServer()
    const rs = await server((seen) => (seen.url.startsWith('/always') ? nonceChallenge(`n-${Math.random()}`) : seen.proof?.payload.nonce === 'rs-1' ? ok : nonceChallenge('rs-1')))
    const c = client(`${as.origin}/token`)
    const send = makeSender(c, [rs.origin])
    assert.equal(await send(`${rs.origin}/a`, 'POST', 'body'), 200)
    assert.equal(rs.seen.length, 2)
    assert.equal(rs.seen[0]!.proof!.payload.nonce, undefined)
    assert.equal(rs.seen[1]!.proof!.payload.nonce, 'rs-1')
    assert.equal(rs.seen[1]!.form.toString(), 'body=', 'the body sent again')
    assert.notEqual(rs.seen[0]!.proof!.payload.jti, rs.seen[1]!.proof!.payload.jti)
    assert.equal(await send(`${rs.origin}/b`), 200)
    assert.equal(rs.seen.length, 3, 'the kept nonce is used at once')
    assert.equal(await send(`${rs.origin}/always`), 401)
    assert.equal(rs.seen.length, 5, 'one nonce retry, no loop')
    assert.equal(as.seen.length, 1, 'a nonce is no reason for a new token')
    // The resource's nonce never goes to the token endpoint.
    await c.getToken('api:read', { forceRefresh: true })
    assert.equal(as.seen.at(-1)!.proof!.payload.nonce, undefined)
  })

  test(`${name}: 401 DPoP invalid_token renews the token once, with a new proof; a Bearer challenge does not`, async () => {
    const as = await tokenServer()
    const rs = await server((seen) => {
      if (seen.url === '/bearer-challenge') return { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } }
      return seen.headers.authorization === 'DPoP tok-1' ? { status: 401, headers: { 'www-authenticate': 'DPoP error="invalid_token"' } } : ok
    })
    const c = client(`${as.origin}/token`)
    const send = makeSender(c, [rs.origin])
    assert.equal(await send(`${rs.origin}/a`), 200)
    assert.equal(as.seen.length, 2)
    assertCarries(rs.seen[1]!, 'tok-2', 'GET', `${rs.origin}/a`, c)
    assert.equal(await send(`${rs.origin}/bearer-challenge`), 401)
    assert.equal(as.seen.length, 2, 'a Bearer challenge does not speak of a DPoP token')
  })
}

test('the two nonce stores stay apart, even on one origin', async () => {
  const both = await server((seen) => {
    if (seen.url === '/token') return { ...dpopToken('tok'), headers: { 'dpop-nonce': 'as-nonce' } }
    return seen.proof?.payload.nonce === 'rs-nonce' ? ok : nonceChallenge('rs-nonce')
  })
  const c = client(`${both.origin}/token`)
  const authFetch = createAuthFetch(c, { scope: 'api:read', origins: [both.origin] })
  assert.equal((await authFetch(`${both.origin}/api`)).status, 200)
  await c.getToken('api:read', { forceRefresh: true })
  assert.equal((await authFetch(`${both.origin}/api`)).status, 200)
  const nonces = both.seen.map((seen) => [seen.url, seen.proof?.payload.nonce])
  assert.deepEqual(nonces, [
    ['/token', undefined],
    ['/api', undefined],
    ['/api', 'rs-nonce'],
    ['/token', 'as-nonce'],
    ['/api', 'rs-nonce'],
  ])
})

test('fetch: a proof per redirect hop that carries the token; a redirect to another origin carries neither token nor proof', async () => {
  const as = await tokenServer()
  const away = await server(() => ok)
  const rs = await server((seen) => {
    if (seen.url === '/start') return { status: 307, headers: { location: '/next?q=1' } }
    if (seen.url === '/next?q=1') return { status: 302, headers: { location: `${away.origin}/landing` } }
    return ok
  })
  const c = client(`${as.origin}/token`)
  const authFetch = createAuthFetch(c, { scope: 'api:read', origins: [rs.origin] })
  const response = await authFetch(`${rs.origin}/start`, { method: 'PUT', body: 'x' })
  assert.equal(response.status, 200)
  assertCarries(rs.seen[0]!, 'tok-1', 'PUT', `${rs.origin}/start`, c)
  assertCarries(rs.seen[1]!, 'tok-1', 'PUT', `${rs.origin}/next`, c)
  assert.notEqual(rs.seen[0]!.proof!.payload.jti, rs.seen[1]!.proof!.payload.jti)
  assert.equal(away.seen.length, 1)
  assert.equal(away.seen[0]!.headers.authorization, undefined)
  assert.equal(away.seen[0]!.proofText, undefined)
})

test('interceptor before the redirect interceptor: a proof per hop; another origin gets neither', async () => {
  const as = await tokenServer()
  const away = await server(() => ok)
  const rs = await server((seen) => {
    if (seen.url === '/start') return { status: 307, headers: { location: `${rs.origin}/next` } }
    if (seen.url === '/next') return { status: 302, headers: { location: `${away.origin}/landing` } }
    return ok
  })
  const c = client(`${as.origin}/token`)
  const dispatcher = agentFor(c, [rs.origin])
  const response = await request(`${rs.origin}/start`, { dispatcher })
  await response.body.arrayBuffer()
  assert.equal(response.statusCode, 200)
  assertCarries(rs.seen[0]!, 'tok-1', 'GET', `${rs.origin}/start`, c)
  assertCarries(rs.seen[1]!, 'tok-1', 'GET', `${rs.origin}/next`, c)
  assert.equal(away.seen[0]!.headers.authorization, undefined)
  assert.equal(away.seen[0]!.proofText, undefined)
})

test('interceptor composed after the redirect interceptor: a followed redirect with a DPoP token fails before the hop is sent', async () => {
  const as = await tokenServer()
  const away = await server(() => ok)
  const rs = await server(() => ({ status: 302, headers: { location: `${away.origin}/landing` } }))
  const c = client(`${as.origin}/token`)
  const dispatcher = agentFor(c, [rs.origin], true)
  await assert.rejects(request(`${rs.origin}/start`, { dispatcher }), /compose tokenInterceptor\(\) before interceptors\.redirect\(\)/)
  assert.equal(rs.seen.length, 1)
  assert.equal(away.seen.length, 0, 'the proof never reached another origin')
})

test('a Bearer token taken with acceptBearer goes as Bearer, without a proof', async () => {
  const as = await server(() => ({ body: { access_token: 'plain', token_type: 'Bearer', expires_in: 60 } }))
  const rs = await server(() => ok)
  const c = client(`${as.origin}/token`, { dpop: { acceptBearer: true } })
  await (await createAuthFetch(c, { scope: 'api:read', origins: [rs.origin] })(`${rs.origin}/a`)).arrayBuffer()
  assert.equal(rs.seen[0]!.headers.authorization, 'Bearer plain')
  assert.equal(rs.seen[0]!.proofText, undefined)
})

test('a token source that hands out DPoP tokens without making proofs fails the call, saying why', async () => {
  const rs = await server(() => ok)
  const stub = { getToken: async () => ({ accessToken: 't', tokenType: 'DPoP' }), invalidate: () => {} }
  await assert.rejects(createAuthFetch(stub, { origins: [rs.origin] })(`${rs.origin}/a`), /makes no DPoP proofs/)
  assert.equal(rs.seen.length, 0)
})
