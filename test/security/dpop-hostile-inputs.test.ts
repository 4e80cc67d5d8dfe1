// DPoP (RFC 9449) under attack: a hostile server against the client (nonces, challenges, redirects,
// token types, caches), a hostile client against the reference server (proofs of every wrong
// shape, replays, bindings), and a careless user (options, dpopHeaders(), what inspect and JSON
// show). Loopback only; every server is closed in the after hook.
import assert from 'node:assert/strict'
import { createHmac, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto'
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net'
import { inspect } from 'node:util'
import { after, before, describe, test } from 'node:test'
import { exportJWK } from 'jose'
import { Agent, interceptors, request } from 'undici'
import { AccessToken, createAuthFetch, sharedTokenCache, TokenClient, tokenInterceptor, type TokenClientOptions } from '../../src/index.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { dpopNonceOf } from '../../src/dpop/nonce-store.js'
import { isDpopNonceChallenge, isInvalidTokenChallenge } from '../../src/fetch/www-authenticate.js'
import { athOf, dpopToken, nonceError, startDpopServer, type DpopAnswer, type DpopResponder } from '../helpers/dpop-server.js'
import { memoryStore } from '../helpers/memory-store.js'
import { ath, proofKey, signProof, unsignedProof, type ProofKey, type ProofOptions } from '../server/dpop-helpers.js'
import { basic, postForm, postToken } from '../server/helpers.js'

const SECRET = 'a-client-secret-of-at-least-32-bytes-0123456789'
const SCOPE = 'api:read'
const TIMEOUT = { timeout: 20_000 }
const closers: Array<() => Promise<unknown>> = []
after(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

async function dpopServer(respond: DpopResponder) {
  const started = await startDpopServer(respond)
  closers.push(started.close)
  return started
}

function client(tokenUrl: string, options: Partial<TokenClientOptions> = {}): TokenClient {
  const made = new TokenClient({ tokenUrl, clientId: 'svc', clientSecret: SECRET, dpop: true, retry: { minDelayMs: 1, maxDelayMs: 2 }, ...options } as TokenClientOptions)
  closers.push(() => made.close())
  return made
}

/** A server answering each request with the raw bytes `answer` gives (for what node:http will not write). */
async function rawServer(answer: (index: number) => string) {
  let count = 0
  const sockets = new Set<Socket>()
  const server: NetServer = createNetServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    let buffered = ''
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1')
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) return
      const length = Number(/content-length: *(\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0)
      if (buffered.length < end + 4 + length) return
      buffered = ''
      socket.end(answer(count++), 'latin1')
    })
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  )
  return { url: `http://127.0.0.1:${port}/token`, get count() { return count } }
}

const rawNonceError = (nonceHeaderLines: string) => {
  const body = '{"error":"use_dpop_nonce","error_description":"x"}'
  return `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n${nonceHeaderLines}content-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`
}

// ───────────────────────────── a hostile server against the client ─────────────────────────────

describe('a hostile token endpoint against the DPoP client', () => {
  test('use_dpop_nonce answered forever, a new nonce each time: two requests per getToken(), no loop, retries included', TIMEOUT, async () => {
    let n = 0
    const as = await dpopServer(() => nonceError(`n-${++n}`))
    const c = client(`${as.origin}/token`, { retry: { retries: 3, minDelayMs: 1, maxDelayMs: 2 } })
    await assert.rejects(c.getToken(SCOPE), (error: Error & { error?: string }) => error.error === 'use_dpop_nonce')
    assert.equal(as.seen.length, 2, 'the nonce retry is once per getToken(); a 400 is not retried')
    assert.equal(as.seen[1]?.proof?.payload.nonce, 'n-1')
  })

  test('use_dpop_nonce without a DPoP-Nonce header: no retry', TIMEOUT, async () => {
    const as = await dpopServer(() => ({ status: 400, body: { error: 'use_dpop_nonce' } }))
    const c = client(`${as.origin}/token`)
    await assert.rejects(c.getToken(SCOPE), (error: Error & { error?: string }) => error.error === 'use_dpop_nonce')
    assert.equal(as.seen.length, 1)
  })

  const unusable: Array<[string, string]> = [
    ['huge', `dpop-nonce: ${'a'.repeat(5000)}\r\n`],
    ['a space', 'dpop-nonce: two words\r\n'],
    ['a quote', 'dpop-nonce: ab"cd\r\n'],
    ['a backslash', 'dpop-nonce: ab\\cd\r\n'],
    ['a comma and space (two values)', 'dpop-nonce: abc, def\r\n'],
    ['two headers', 'dpop-nonce: abc\r\ndpop-nonce: def\r\n'],
    ['a control character', 'dpop-nonce: ab\x01cd\r\n'],
    ['a tab', 'dpop-nonce: ab\tcd\r\n'],
    ['a DEL', 'dpop-nonce: ab\x7Fcd\r\n'],
    ['non-ASCII', 'dpop-nonce: ab\xE9cd\r\n'],
    ['empty', 'dpop-nonce: \r\n'],
  ]
  for (const [what, lines] of unusable) {
    test(`a DPoP-Nonce with ${what} is not taken: no retry with it, no later proof carries it`, TIMEOUT, async () => {
      const raw = await rawServer(() => rawNonceError(lines))
      const c = client(raw.url)
      await assert.rejects(c.getToken(SCOPE))
      assert.equal(raw.count, 1, 'no nonce retry with an unusable nonce')
    })
  }

  test('a nonce with CR in it cannot be smuggled: the answer is refused or the nonce dropped', TIMEOUT, async () => {
    const raw = await rawServer(() => rawNonceError('dpop-nonce: abc\rinjected: 1\r\n'))
    const c = client(raw.url)
    await assert.rejects(c.getToken(SCOPE))
    assert.equal(raw.count, 1)
  })

  const tokenTypes: Array<[string, unknown, 'DPoP' | 'Bearer' | 'refused', boolean?]> = [
    ['dpop (lower case)', 'dpop', 'DPoP'],
    ['DPOP', 'DPOP', 'DPoP'],
    ['" DPoP"', ' DPoP', 'refused'],
    ['"DPoP "', 'DPoP ', 'refused'],
    ['"DPoP\\u0000"', 'DPoP\u0000', 'refused'],
    ['"DPoP, Bearer"', 'DPoP, Bearer', 'refused'],
    ['"DPoP\\nBearer"', 'DPoP\nBearer', 'refused'],
    ['["DPoP"]', ['DPoP'], 'refused'],
    ['{"DPoP":1}', { DPoP: 1 }, 'refused'],
    ['null', null, 'refused'],
    ['Bearer', 'Bearer', 'refused'],
    ['bearer, acceptBearer', 'bearer', 'Bearer', true],
    ['N_A', 'N_A', 'refused'],
  ]
  for (const [what, tokenType, outcome, acceptBearer] of tokenTypes) {
    test(`token_type ${what} answering a DPoP request: ${outcome}`, TIMEOUT, async () => {
      const as = await dpopServer(() => ({ body: { access_token: 'tok-1', token_type: tokenType, expires_in: 60 } }))
      const c = client(`${as.origin}/token`, { dpop: acceptBearer ? { acceptBearer: true } : true, retry: false })
      if (outcome === 'refused') {
        await assert.rejects(c.getToken(SCOPE))
        return
      }
      assert.equal((await c.getToken(SCOPE)).tokenType, outcome)
    })
  }

  test('token_type DPoP to a client without dpop is refused (it holds no key to use it)', TIMEOUT, async () => {
    const as = await dpopServer(() => dpopToken('tok-1'))
    const c = client(`${as.origin}/token`, { dpop: false, retry: false })
    await assert.rejects(c.getToken(SCOPE))
    assert.equal(as.seen[0]?.proofText, undefined, 'no proof without dpop')
  })

  test('two clients with the same credentials and different DPoP keys never share a token (jkt in the cache key)', TIMEOUT, async () => {
    let n = 0
    const as = await dpopServer(() => dpopToken(`tok-${++n}`))
    const a = client(`${as.origin}/token`)
    const b = client(`${as.origin}/token`)
    const ta = await a.getToken(SCOPE)
    const tb = await b.getToken(SCOPE)
    assert.notEqual(ta.accessToken, tb.accessToken)
    assert.deepEqual(as.seen.map((seen) => seen.proof?.jkt), [a.options.dpop?.keyThumbprint, b.options.dpop?.keyThumbprint])
  })

  test('shared cache: a DPoP token of process A (key A) is never read by process B (key B), nor by a Bearer client, nor by one that accepts Bearer', TIMEOUT, async () => {
    let n = 0
    const as = await dpopServer((seen) => (seen.proof === undefined ? { body: { access_token: `bearer-${++n}`, token_type: 'Bearer', expires_in: 3600 } } : dpopToken(`tok-${++n}`)))
    const store = memoryStore()
    const keyA = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    const keyB = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    const on = (dpop: NonNullable<TokenClientOptions['dpop']>) => client(`${as.origin}/token`, { dpop, sharedCache: sharedTokenCache(store), retry: false })
    const a = on({ privateKey: keyA })
    const tokenA = await a.getToken(SCOPE)
    assert.equal(tokenA.tokenType, 'DPoP')
    const a2 = on({ privateKey: keyA })
    assert.equal((await a2.getToken(SCOPE)).accessToken, tokenA.accessToken, 'the same key shares (the shared cache works)')
    const b = on({ privateKey: keyB })
    const tokenB = await b.getToken(SCOPE)
    assert.notEqual(tokenB.accessToken, tokenA.accessToken)
    assert.equal(as.seen.at(-1)?.proof?.jkt, b.options.dpop?.keyThumbprint)
    const plain = on(false)
    const bearer = await plain.getToken(SCOPE)
    assert.equal(bearer.tokenType, 'Bearer')
    assert.notEqual(bearer.accessToken, tokenA.accessToken)
    const lenient = on({ privateKey: keyA, acceptBearer: true })
    assert.notEqual((await lenient.getToken(SCOPE)).accessToken, tokenA.accessToken, 'acceptBearer is another cache entry')
  })
})

describe('a hostile resource against the DPoP client', () => {
  const ok: DpopAnswer = { body: { ok: true } }
  const challenge = (nonce: string | undefined, www = 'DPoP algs="ES256", error="use_dpop_nonce"'): DpopAnswer => ({
    status: 401,
    headers: { 'www-authenticate': www, ...(nonce === undefined ? {} : { 'dpop-nonce': nonce }) },
  })

  const senders = {
    fetch: (c: TokenClient, origins: string[], retryOnUnauthorized?: 'any-401') => {
      const authFetch = createAuthFetch(c, { scope: SCOPE, origins, ...(retryOnUnauthorized && { retryOnUnauthorized }) })
      return async (url: string) => {
        const response = await authFetch(url)
        await response.arrayBuffer()
        return response.status
      }
    },
    interceptor: (c: TokenClient, origins: string[], retryOnUnauthorized?: 'any-401') => {
      const agent = new Agent()
      closers.push(() => agent.close())
      const dispatcher = agent.compose(
        tokenInterceptor({ client: c, scope: SCOPE, origins, ...(retryOnUnauthorized && { retryOnUnauthorized }) }),
        interceptors.redirect({ maxRedirections: 3 }),
      )
      return async (url: string) => {
        const response = await request(url, { dispatcher })
        await response.body.arrayBuffer()
        return response.statusCode
      }
    },
  }

  for (const [name, makeSender] of Object.entries(senders)) {
    test(`${name}: use_dpop_nonce with a new nonce forever: the request goes twice, then the 401 is returned`, TIMEOUT, async () => {
      const as = await dpopServer(() => dpopToken())
      let n = 0
      const rs = await dpopServer(() => challenge(`rn-${++n}`))
      const send = makeSender(client(`${as.origin}/token`), [rs.origin])
      assert.equal(await send(`${rs.origin}/api`), 401)
      assert.equal(rs.seen.length, 2)
      assert.equal(rs.seen[1]?.proof?.payload.nonce, 'rn-1')
    })

    test(`${name}: with retryOnUnauthorized any-401, still bounded (nonce retry once, renewal once)`, TIMEOUT, async () => {
      const as = await dpopServer(() => dpopToken())
      let n = 0
      const rs = await dpopServer(() => challenge(`rn-${++n}`))
      const send = makeSender(client(`${as.origin}/token`), [rs.origin], 'any-401')
      assert.equal(await send(`${rs.origin}/api`), 401)
      assert.ok(rs.seen.length <= 3, `${rs.seen.length} requests`)
      assert.ok(as.seen.length <= 2, `${as.seen.length} token requests`)
    })

    test(`${name}: use_dpop_nonce without a DPoP-Nonce, or with an unusable one: no retry`, TIMEOUT, async () => {
      const as = await dpopServer(() => dpopToken())
      const answers = [challenge(undefined), challenge('two words'), challenge(`${'x'.repeat(2000)}`), challenge('a"b')]
      const rs = await dpopServer((_seen, index) => answers[index % answers.length] as DpopAnswer)
      const send = makeSender(client(`${as.origin}/token`), [rs.origin])
      for (let index = 0; index < answers.length; index++) assert.equal(await send(`${rs.origin}/api`), 401)
      assert.equal(rs.seen.length, answers.length)
      assert.ok(rs.seen.every((seen) => seen.proof?.payload.nonce === undefined))
    })

    const lookalikes = [
      'Bearer error="use_dpop_nonce"',
      'Bearer realm="DPoP error=\\"use_dpop_nonce\\""',
      'Basic realm="x, DPoP error=use_dpop_nonce"',
      'Bearer realm="a\\", DPoP error=\\"use_dpop_nonce", error="invalid_request"',
      'Bearer error_description="DPoP error=use_dpop_nonce", error="invalid_request"',
      'Bearer realm="never ends, DPoP error="use_dpop_nonce"',
      'DPoP error="invalid_dpop_proof", error_description="use_dpop_nonce"',
      'DPoP error="USE_DPOP_NONCE"',
      'DPoPx error="use_dpop_nonce"',
      // A quoted string where an element starts: its inside is no challenge either.
      'Bearer "DPoP error=use_dpop_nonce"',
      'Basic realm="a", "DPoP error=use_dpop_nonce"',
      'Bearer realm=="DPoP error=use_dpop_nonce"',
      'realm="DPoP error=use_dpop_nonce"',
      'Bearer error="x", @"y, DPoP error=use_dpop_nonce"',
      'Bearer =DPoP error=use_dpop_nonce',
    ]
    test(`${name}: WWW-Authenticate that only looks like use_dpop_nonce is no nonce request`, TIMEOUT, async () => {
      const as = await dpopServer(() => dpopToken())
      const rs = await dpopServer((_seen, index) => challenge('rn', lookalikes[index % lookalikes.length]))
      const send = makeSender(client(`${as.origin}/token`), [rs.origin])
      for (const header of lookalikes) assert.equal(isDpopNonceChallenge(header), false, header)
      for (let index = 0; index < lookalikes.length; index++) assert.equal(await send(`${rs.origin}/api`), 401)
      assert.equal(rs.seen.length, lookalikes.length, 'no request was sent again')
    })

    test(`${name}: the token endpoint's nonce never goes to a resource on its origin, nor the resource's to the token endpoint`, TIMEOUT, async () => {
      let t = 0
      let r = 0
      const both = await dpopServer((seen) =>
        seen.url.startsWith('/token')
          ? { ...dpopToken(`tok-${++t}`), headers: { 'dpop-nonce': `as-${t}` } }
          : { ...ok, headers: { 'dpop-nonce': `rs-${++r}` } },
      )
      const c = client(`${both.origin}/token`)
      const send = makeSender(c, [both.origin])
      await c.getToken(SCOPE)
      assert.equal(await send(`${both.origin}/api`), 200)
      await c.getToken(SCOPE, { forceRefresh: true })
      assert.equal(await send(`${both.origin}/api`), 200)
      const token = await c.getToken(SCOPE)
      const byHand = await c.dpopHeaders(token, { method: 'GET', url: `${both.origin}/api` })
      const nonces = both.seen.map((seen) => [seen.url.split('?')[0], seen.proof?.payload.nonce])
      assert.deepEqual(nonces, [
        ['/token', undefined],
        ['/api', undefined],
        ['/token', 'as-1'],
        ['/api', 'rs-1'],
      ])
      const handProof = JSON.parse(Buffer.from((byHand.dpop as string).split('.')[1] as string, 'base64url').toString()) as { nonce?: string }
      assert.equal(handProof.nonce, 'rs-2')
    })

    test(`${name}: a redirect to another origin carries neither token nor proof; its use_dpop_nonce is not retried, its nonce never reaches the first origin`, TIMEOUT, async () => {
      const as = await dpopServer(() => dpopToken('tok-r'))
      const evil = await dpopServer(() => challenge('evil-nonce'))
      const rs = await dpopServer((seen) => (seen.url === '/start' ? { status: 307, headers: { location: `${evil.origin}/grab` } } : ok))
      const send = makeSender(client(`${as.origin}/token`), [rs.origin])
      assert.equal(await send(`${rs.origin}/start`), 401)
      assert.equal(evil.seen.length, 1, 'the nonce challenge at the end of a cross-origin redirect is not retried')
      assert.equal(evil.seen[0]?.headers.authorization, undefined)
      assert.equal(evil.seen[0]?.headers.dpop, undefined)
      assert.equal(rs.seen.length, 1)
      assert.equal(await send(`${rs.origin}/next`), 200)
      assert.equal(rs.seen[1]?.proof?.payload.nonce, undefined, "the other origin's nonce is not the first origin's")
      assert.equal(rs.seen[1]?.proof?.payload.ath, athOf('tok-r'))
    })
  }

  test('a quoted string where an element starts never reads as invalid_token either (no needless renewal)', () => {
    assert.equal(isInvalidTokenChallenge('DPoP algs="ES256", "DPoP error=invalid_token"', 'dpop'), false)
    assert.equal(isInvalidTokenChallenge('Bearer realm="api", "Bearer error=invalid_token"'), false)
    assert.equal(isInvalidTokenChallenge('Bearer realm="api", "x", Bearer error=invalid_token'), true, 'a real challenge after the junk is still read')
    assert.equal(isDpopNonceChallenge('Basic realm="a", "junk", DPoP error="use_dpop_nonce"'), true)
  })

  test('fetch: a same-origin redirect gets a new proof for the new URL', TIMEOUT, async () => {
    const as = await dpopServer(() => dpopToken('tok-s'))
    const rs = await dpopServer((seen) => (seen.url === '/a' ? { status: 307, headers: { location: '/b?q=1' } } : ok))
    const c = client(`${as.origin}/token`)
    const response = await createAuthFetch(c, { scope: SCOPE, origins: [rs.origin] })(`${rs.origin}/a`)
    assert.equal(response.status, 200)
    assert.deepEqual(rs.seen.map((seen) => seen.proof?.payload.htu), [`${rs.origin}/a`, `${rs.origin}/b`])
    assert.notEqual(rs.seen[0]?.proof?.payload.jti, rs.seen[1]?.proof?.payload.jti)
  })

  test('interceptor composed after the redirect handler: a DPoP token is never sent to the redirect target with the old proof', TIMEOUT, async () => {
    const as = await dpopServer(() => dpopToken('tok-i'))
    const evil = await dpopServer(() => ok)
    const rs = await dpopServer(() => ({ status: 307, headers: { location: `${evil.origin}/grab` } }))
    const agent = new Agent()
    closers.push(() => agent.close())
    const dispatcher = agent.compose(interceptors.redirect({ maxRedirections: 3 }), tokenInterceptor({ client: client(`${as.origin}/token`), scope: SCOPE, origins: [rs.origin] }))
    await assert.rejects(request(`${rs.origin}/start`, { dispatcher }).then((response) => response.body.arrayBuffer()))
    assert.ok(evil.seen.every((seen) => seen.headers.dpop === undefined && seen.headers.authorization === undefined))
  })
})

// ───────────────────────────── a hostile client against the server ─────────────────────────────

describe('a hostile client against the reference server (nonces required at both ends)', () => {
  let server: ReferenceServer
  let key: ProofKey
  const asSvc = basic('svc', SECRET)
  const asOther = basic('other', SECRET)
  const GRANT = { grant_type: 'client_credentials', scope: SCOPE }
  const seenProofs: string[] = []
  const seenTokens: string[] = []

  before(async () => {
    server = await startReferenceServer({
      throttle: false,
      dpop: { nonce: 'required', resourceNonce: true },
      clients: [
        { clientId: 'svc', clientSecret: SECRET, scopes: [SCOPE] },
        { clientId: 'other', clientSecret: SECRET, scopes: [SCOPE] },
      ],
    })
    closers.push(() => server.close())
    key = await proofKey('ES256')
  })

  const remember = (proof: string) => (seenProofs.push(proof), proof)
  const tokenProof = (claims: Record<string, unknown> = {}, options?: ProofOptions, signer = key) =>
    signProof(signer, { htm: 'POST', htu: server.tokenUrl, nonce: server.dpop.nonce, ...claims }, Date.now(), options).then(remember)
  const postWith = (proof: string | string[], authorization = asSvc) =>
    request(server.tokenUrl, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
      body: new URLSearchParams(GRANT).toString(),
    }).then(async (response) => ({ status: response.statusCode, headers: response.headers, json: (await response.body.json()) as Record<string, unknown> }))
  const refusedAtToken = async (proof: string | string[], error = 'invalid_dpop_proof') => {
    const response = await postWith(proof)
    assert.equal(response.status, 400, JSON.stringify(response.json))
    assert.equal(response.json['error'], error, JSON.stringify(response.json))
    assert.equal(response.json['access_token'], undefined)
    return response
  }
  const dpopBound = async (signer = key) => {
    const response = await postWith(await tokenProof({}, {}, signer))
    assert.equal(response.status, 200, JSON.stringify(response.json))
    assert.equal(response.json['token_type'], 'DPoP')
    const token = response.json['access_token'] as string
    seenTokens.push(token)
    return token
  }
  const resourceProof = (token: string, claims: Record<string, unknown> = {}, options?: ProofOptions, signer = key) =>
    signProof(signer, { htm: 'GET', htu: server.resourceUrl, ath: ath(token), nonce: server.dpop.resourceNonce, ...claims }, Date.now(), options).then(remember)
  const callResource = (authorization: string, proof?: string | string[]) =>
    request(server.resourceUrl, { headers: { authorization, ...(proof !== undefined && { dpop: proof }) } }).then(async (response) => ({
      status: response.statusCode,
      www: String(response.headers['www-authenticate'] ?? ''),
      text: await response.body.text(),
    }))
  const refusedAtResource = async (authorization: string, proof: string | string[] | undefined, error: string) => {
    const response = await callResource(authorization, proof)
    assert.equal(response.status, 401, response.text)
    assert.match(response.www, new RegExp(`^DPoP algs="[^"]+", error="${error}"`), response.www)
  }

  test('proofs of the wrong kind are refused at the token endpoint', TIMEOUT, async () => {
    const nonce = server.dpop.nonce
    const now = Math.floor(Date.now() / 1000)
    // alg none
    await refusedAtToken(remember(unsignedProof({ typ: 'dpop+jwt', alg: 'none', jwk: key.jwk }, { htm: 'POST', htu: server.tokenUrl, iat: now, jti: randomUUID(), nonce })))
    // HS256 keyed with the public key (the classic confusion): the JSON of the jwk, and the PEM
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const publicJwk = ec.publicKey.export({ format: 'jwk' })
    const pem = ec.publicKey.export({ format: 'pem', type: 'spki' }) as string
    for (const secret of [JSON.stringify(publicJwk), pem]) {
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
      const input = `${part({ typ: 'dpop+jwt', alg: 'HS256', jwk: publicJwk })}.${part({ htm: 'POST', htu: server.tokenUrl, iat: now, jti: randomUUID(), nonce })}`
      await refusedAtToken(remember(`${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`))
    }
    // a jwk with private members
    const privateJwk = await exportJWK(key.privateKey)
    await refusedAtToken(await tokenProof({}, { header: { jwk: privateJwk } }))
    // an RSA key under 2048 bits (signed by hand: jose will not sign with it)
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const smallJwk = small.publicKey.export({ format: 'jwk' })
    {
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
      const input = `${part({ typ: 'dpop+jwt', alg: 'RS256', jwk: smallJwk })}.${part({ htm: 'POST', htu: server.tokenUrl, iat: now, jti: randomUUID(), nonce })}`
      const { sign } = await import('node:crypto')
      await refusedAtToken(remember(`${input}.${sign('sha256', Buffer.from(input), small.privateKey).toString('base64url')}`))
    }
    // a key that does not fit the alg (a P-384 key under ES256, an Ed25519 key under ES256), signed by hand
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    {
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
      const input = `${part({ typ: 'dpop+jwt', alg: 'ES256', jwk: p384.publicKey.export({ format: 'jwk' }) })}.${part({ htm: 'POST', htu: server.tokenUrl, iat: now, jti: randomUUID(), nonce })}`
      const { sign } = await import('node:crypto')
      await refusedAtToken(remember(`${input}.${sign('sha256', Buffer.from(input), { key: p384.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`))
    }
    const ed = await proofKey('EdDSA')
    await refusedAtToken(await tokenProof({}, { header: { jwk: key.jwk } }, ed))
    // typ
    for (const typ of ['DPoP+JWT', 'jwt', 'JWT', undefined, 'application/dpop+jwt']) await refusedAtToken(await tokenProof({}, { header: { typ } }))
    // no jwk, a jwk that is a string, a kid instead
    await refusedAtToken(await tokenProof({}, { header: { jwk: undefined, kid: 'k1' } }))
    await refusedAtToken(await tokenProof({}, { header: { jwk: JSON.stringify(key.jwk) } }))
  })

  test('htu and htm: what is the same URL is taken, anything else refused', TIMEOUT, async () => {
    const url = new URL(server.tokenUrl)
    const accepted = [
      `${server.tokenUrl}?a=1`,
      `${server.tokenUrl}#frag`,
      server.tokenUrl.replace('http://', 'HTTP://'),
      `${url.protocol}//${url.hostname.toUpperCase()}:${url.port}${url.pathname}`,
    ]
    for (const htu of accepted) {
      const response = await postWith(await tokenProof({ htu }))
      assert.equal(response.status, 200, `${htu}: ${JSON.stringify(response.json)}`)
      seenTokens.push(response.json['access_token'] as string)
    }
    const refused = [
      `${url.protocol}//${url.hostname}:${Number(url.port) + 1}${url.pathname}`,
      `${server.tokenUrl}/`,
      server.tokenUrl.replace('/token', '/%74oken'),
      server.tokenUrl.replace('http:', 'https:'),
      server.resourceUrl,
      `${url.protocol}//${url.hostname}:${url.port}`,
      url.pathname,
      '',
      42,
    ]
    for (const htu of refused) await refusedAtToken(await tokenProof({ htu }))
    for (const htm of ['post', 'GET', 'Post', ['POST'], undefined]) await refusedAtToken(await tokenProof({ htm }))
  })

  test('iat far in the future, far in the past, a string, missing; jti missing or empty', TIMEOUT, async () => {
    const now = Math.floor(Date.now() / 1000)
    for (const iat of [now + 3600, now - 3600, String(now), now + 1e12, -1]) await refusedAtToken(await tokenProof({ iat }))
    await refusedAtToken(await tokenProof({}, { omit: ['iat'] }))
    await refusedAtToken(await tokenProof({}, { omit: ['jti'] }))
    await refusedAtToken(await tokenProof({ jti: '' }))
    await refusedAtToken(await tokenProof({ jti: 7 }))
  })

  test('nonces: none, stale, the resource one at the token endpoint; the previous one once after a rotation, not with keepPrevious false', TIMEOUT, async () => {
    const missing = await refusedAtToken(await tokenProof({}, { omit: ['nonce'] }), 'use_dpop_nonce')
    assert.equal(missing.headers['dpop-nonce'], server.dpop.nonce)
    await refusedAtToken(await tokenProof({ nonce: 'made-up' }), 'use_dpop_nonce')
    await refusedAtToken(await tokenProof({ nonce: server.dpop.resourceNonce }), 'use_dpop_nonce')
    await refusedAtToken(await tokenProof({ nonce: 12 }), 'use_dpop_nonce')
    const before = server.dpop.nonce
    server.dpop.rotateNonce()
    const previous = await postWith(await tokenProof({ nonce: before }))
    assert.equal(previous.status, 200, 'the previous nonce is still taken right after a rotation')
    seenTokens.push(previous.json['access_token'] as string)
    server.dpop.rotateNonce()
    await refusedAtToken(await tokenProof({ nonce: before }), 'use_dpop_nonce')
    const held = server.dpop.nonce
    server.dpop.rotateNonce({ keepPrevious: false })
    await refusedAtToken(await tokenProof({ nonce: held }), 'use_dpop_nonce')
  })

  test('a replayed proof at the token endpoint; two DPoP headers', TIMEOUT, async () => {
    const proof = await tokenProof()
    assert.equal((await postWith(proof)).status, 200)
    await refusedAtToken(proof)
    await refusedAtToken([await tokenProof(), await tokenProof()])
    const one = await tokenProof()
    await refusedAtToken([one, one])
  })

  test('a huge proof: bounded by the header size limit (431), and the server goes on', TIMEOUT, async () => {
    const padding = 'x'.repeat(64 * 1024)
    const proof = await tokenProof({ padding })
    const response = await request(server.tokenUrl, {
      method: 'POST',
      headers: { authorization: asSvc, 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
      body: new URLSearchParams(GRANT).toString(),
    }).catch((error: Error) => error)
    if (!(response instanceof Error)) {
      assert.equal(response.statusCode, 431)
      await response.body.arrayBuffer()
    }
    // Within the limit, a large proof is verified once and refused or taken on its merits.
    const large = await postWith(await tokenProof({ padding: 'y'.repeat(8 * 1024) }))
    assert.equal(large.status, 200)
    seenTokens.push(large.json['access_token'] as string)
    assert.equal((await postWith(await tokenProof())).status, 200)
  })

  test('at the resource: replay, a token-endpoint proof, another key, ath wrong or missing, stale nonce, token endpoint nonce, the same jti as at the token endpoint', TIMEOUT, async () => {
    const jti = randomUUID()
    const response = await postWith(await tokenProof({ jti }))
    assert.equal(response.status, 200)
    const token = response.json['access_token'] as string
    seenTokens.push(token)
    const auth = `DPoP ${token}`
    const good = await resourceProof(token)
    assert.equal((await callResource(auth, good)).status, 200)
    await refusedAtResource(auth, good, 'invalid_dpop_proof')
    await refusedAtResource(auth, await tokenProof(), 'invalid_dpop_proof')
    await refusedAtResource(auth, await resourceProof(token, { htm: 'POST', htu: server.tokenUrl }), 'invalid_dpop_proof')
    await refusedAtResource(auth, await resourceProof(token, {}, {}, await proofKey('ES256')), 'invalid_dpop_proof')
    await refusedAtResource(auth, await resourceProof(token, { ath: ath('another token') }), 'invalid_dpop_proof')
    await refusedAtResource(auth, await resourceProof(token, {}, { omit: ['ath'] }), 'invalid_dpop_proof')
    await refusedAtResource(auth, await resourceProof(token, { ath: ath(token).toUpperCase() }), 'invalid_dpop_proof')
    await refusedAtResource(auth, await resourceProof(token, { nonce: 'stale' }), 'use_dpop_nonce')
    await refusedAtResource(auth, await resourceProof(token, { nonce: server.dpop.nonce }), 'use_dpop_nonce')
    await refusedAtResource(auth, await resourceProof(token, {}, { omit: ['nonce'] }), 'use_dpop_nonce')
    await refusedAtResource(auth, await resourceProof(token, { jti }), 'invalid_dpop_proof')
    await refusedAtResource(auth, undefined, 'invalid_dpop_proof')
    await refusedAtResource(auth, [await resourceProof(token), await resourceProof(token)], 'invalid_dpop_proof')
    assert.equal((await callResource(auth, await resourceProof(token))).status, 200, 'the token still works with a good proof')
  })

  test('a DPoP-bound token as Bearer, a Bearer token with the DPoP scheme, a token of another key', TIMEOUT, async () => {
    const token = await dpopBound()
    const asBearer = await callResource(`Bearer ${token}`)
    assert.equal(asBearer.status, 401)
    assert.match(asBearer.www, /error="invalid_token"/)
    const plain = await postToken(server.tokenUrl, GRANT, { authorization: asSvc })
    assert.equal(plain.json['token_type'], 'Bearer')
    const bearer = plain.json['access_token'] as string
    seenTokens.push(bearer)
    await refusedAtResource(`DPoP ${bearer}`, await resourceProof(bearer), 'invalid_token')
    // A proof by another key for a token bound to `key`, with everything else right.
    const otherKey = await proofKey('EdDSA')
    await refusedAtResource(`DPoP ${token}`, await resourceProof(token, {}, {}, otherKey), 'invalid_dpop_proof')
  })

  test("introspection of a DPoP token by another client shows its binding, never the token or a proof; an unknown token is inactive", TIMEOUT, async () => {
    const token = await dpopBound()
    const response = await postForm(server.introspectionUrl, { token }, { authorization: asOther })
    assert.equal(response.status, 200)
    assert.equal(response.json['token_type'], 'DPoP')
    assert.deepEqual(response.json['cnf'], { jkt: key.jkt })
    assert.ok(!response.text.includes(token))
    const unknown = await postForm(server.introspectionUrl, { token: `${token}x` }, { authorization: asOther })
    assert.deepEqual(unknown.json, { active: false })
  })

  test('the request log never holds a proof, a token, or a proof claim', TIMEOUT, async () => {
    const json = JSON.stringify(server.log) + inspect(server.log, { depth: Infinity })
    assert.ok(seenProofs.length > 20 && seenTokens.length > 5)
    for (const proof of seenProofs) {
      for (const part of proof.split('.')) if (part.length > 8) assert.ok(!json.includes(part), 'a proof part is in the log')
    }
    for (const token of seenTokens) assert.ok(!json.includes(token), 'a token is in the log')
    assert.ok(!json.includes(server.dpop.nonce), 'the nonce itself is not logged')
  })
})

describe('the replay cache under a flood of proofs by another key', () => {
  test(
    "one client's valid proofs never evict another key's jti while its proof is still in the window: a full cache refuses new ones (503)",
    TIMEOUT,
    async () => {
      const server = await startReferenceServer({
        throttle: false,
        dpop: { maxJtis: 3 },
        clients: [
          { clientId: 'victim', clientSecret: SECRET, scopes: [SCOPE] },
          { clientId: 'attacker', clientSecret: SECRET, scopes: [SCOPE] },
        ],
      })
      closers.push(() => server.close())
      const tokenFor = async (clientId: string, signer: ProofKey) => {
        const proof = await signProof(signer, { htm: 'POST', htu: server.tokenUrl }, Date.now())
        const response = await postToken(server.tokenUrl, { grant_type: 'client_credentials', scope: SCOPE }, { authorization: basic(clientId, SECRET), headers: { dpop: proof } })
        assert.equal(response.json['token_type'], 'DPoP', response.text)
        return response.json['access_token'] as string
      }
      const call = async (token: string, proof: string) => {
        const response = await request(server.resourceUrl, { headers: { authorization: `DPoP ${token}`, dpop: proof } })
        await response.body.arrayBuffer()
        return response.statusCode
      }
      const victim = await proofKey('ES256')
      const attacker = await proofKey('ES256')
      const victimToken = await tokenFor('victim', victim)
      const attackerToken = await tokenFor('attacker', attacker)
      const captured = await signProof(victim, { htm: 'GET', htu: server.resourceUrl, ath: ath(victimToken) }, Date.now())
      assert.equal(await call(victimToken, captured), 200)
      assert.notEqual(await call(victimToken, captured), 200, 'a replay right away is refused')
      // Three jtis in use (the two token requests' and the captured one): the cache is full, and the
      // flood is refused with 503 rather than making room by forgetting the victim's jti.
      for (let index = 0; index < 4; index++) {
        assert.equal(await call(attackerToken, await signProof(attacker, { htm: 'GET', htu: server.resourceUrl, ath: ath(attackerToken) }, Date.now())), 503)
      }
      assert.notEqual(await call(victimToken, captured), 200, "the victim's proof is replayed after the attacker's flood")
    },
  )
})

// ───────────────────────────── a careless user ─────────────────────────────

describe('a careless user of the dpop option', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const pem = ec.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  const jwk = ec.privateKey.export({ format: 'jwk' })
  const secrets = [jwk.d as string, ...pem.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'))]
  const leaks = (text: string) => secrets.filter((secret) => text.includes(secret))
  const everything = (value: unknown) => {
    let text = inspect(value, { depth: Infinity, showHidden: true, getters: true })
    try {
      text += JSON.stringify(value)
    } catch {
      // cycles: inspect has it
    }
    if (value instanceof Error) text += String(value.stack) + everything(value.cause)
    return text
  }
  const base = { tokenUrl: 'http://127.0.0.1:9/token', clientId: 'svc', clientSecret: SECRET } as const
  const refuses = (options: Record<string, unknown>, name: RegExp) => {
    let thrown: unknown
    assert.throws(
      () => new TokenClient({ ...base, ...options } as TokenClientOptions),
      (error: Error & { code?: string }) => {
        thrown = error
        assert.ok(error instanceof TypeError, String(error))
        assert.equal(error.code, 'ERR_INVALID_ARG_VALUE')
        assert.match(error.message, name)
        return true
      },
    )
    assert.deepEqual(leaks(everything(thrown)), [], 'an error shows the private key')
  }

  test('bad dpop values are TypeErrors naming the option, never showing the key', () => {
    refuses({ dpop: 'yes' }, /dpop/)
    refuses({ dpop: 1 }, /dpop/)
    refuses({ dpop: [] }, /dpop/)
    refuses({ dpop: { privateKey: ec.publicKey } }, /dpop\.privateKey/)
    refuses({ dpop: { privateKey: ec.publicKey.export({ format: 'pem', type: 'spki' }) } }, /dpop\.privateKey/)
    refuses({ dpop: { privateKey: createPublicKey(ec.privateKey).export({ format: 'jwk' }) } }, /dpop\.privateKey/)
    refuses({ dpop: { privateKey: pem, signingAlgorithm: 'RS256' } }, /dpop\.signingAlgorithm/)
    refuses({ dpop: { privateKey: pem, signingAlgorithm: 'ES384' } }, /dpop\.signingAlgorithm/)
    refuses({ dpop: { privateKey: jwk, signingAlgorithm: 'EdDSA' } }, /dpop\.signingAlgorithm/)
    refuses({ dpop: { privateKey: pem.replace(/A/g, 'B') } }, /dpop\.privateKey/)
    refuses({ dpop: { privateKey: pem, signingAlgorithm: 'HS256' } }, /dpop\.signingAlgorithm/)
    refuses({ dpop: { privateKey: pem, signingAlgorithm: 'none' } }, /dpop\.signingAlgorithm/)
    refuses({ dpop: { acceptbearer: true } }, /acceptbearer|acceptBearer/)
    refuses({ dpop: { acceptBearers: true } }, /acceptBearers|acceptBearer/)
    refuses({ dpop: { allowBearer: true } }, /acceptBearer/)
    refuses({ dpop: { acceptBearer: 'true' } }, /acceptBearer/)
    refuses({ dpop: { privateKey: pem, extra: 1 } }, /extra/)
    refuses({ dpop: true, sharedCache: sharedTokenCache(memoryStore()) }, /dpop\.privateKey|sharedCache/)
    refuses({ dpop: {}, sharedCache: sharedTokenCache(memoryStore()) }, /dpop\.privateKey|sharedCache/)
  })

  test('inspect and JSON of the client and its options show the thumbprint, never the key', async () => {
    const made = new TokenClient({ ...base, dpop: { privateKey: pem } })
    const fromJwk = new TokenClient({ ...base, dpop: { privateKey: jwk } })
    const fromKeyObject = new TokenClient({ ...base, dpop: { privateKey: ec.privateKey } })
    try {
      for (const c of [made, fromJwk, fromKeyObject]) {
        assert.deepEqual(leaks(everything(c) + everything(c.options) + String(c)), [])
        assert.ok(c.options.dpop?.keyThumbprint)
      }
    } finally {
      await Promise.all([made.close(), fromJwk.close(), fromKeyObject.close()])
    }
  })

  test('dpopHeaders(): a Bearer token gets no proof; bad tokens, methods, URLs and nonces are TypeErrors', TIMEOUT, async () => {
    const as = await dpopServer(() => ({ body: { access_token: 'bearer-1', token_type: 'Bearer', expires_in: 60 } }))
    const c = client(`${as.origin}/token`, { dpop: { acceptBearer: true }, retry: false })
    const bearer = await c.getToken(SCOPE)
    assert.deepEqual(await c.dpopHeaders(bearer, { method: 'GET', url: 'https://api.example.com/x' }), { authorization: 'Bearer bearer-1' })
    const bad: Array<[unknown, unknown]> = [
      [{ accessToken: 'x', tokenType: 'DPoP' }, { method: 'GET', url: 'https://api.example.com/' }],
      [bearer, { method: 'GET', url: 'not a url' }],
      [bearer, { method: 'GET', url: '/relative' }],
      [bearer, { method: 'GET', url: 'ftp://api.example.com/' }],
      [bearer, { method: 'GET', url: 'javascript:alert(1)' }],
      [bearer, { method: 'GE T', url: 'https://api.example.com/' }],
      [bearer, { method: 'GET\r\nX: 1', url: 'https://api.example.com/' }],
      [bearer, { method: '', url: 'https://api.example.com/' }],
      [bearer, { method: 'GET', url: 'https://api.example.com/', nonce: 'a b' }],
      [bearer, { method: 'GET', url: 'https://api.example.com/', nonce: 'a\r\nb' }],
      [bearer, { method: 'GET', url: 'https://api.example.com/', nonce: 'x'.repeat(2000) }],
      [bearer, { method: 'GET', url: 'https://api.example.com/', nonce: 5 }],
      [bearer, null],
      [bearer, 'https://api.example.com/'],
    ]
    for (const [token, req] of bad) {
      await assert.rejects(c.dpopHeaders(token as AccessToken, req as never), (error: Error & { code?: string }) => error instanceof TypeError && error.code === 'ERR_INVALID_ARG_VALUE', inspect(req))
    }
    const plain = client(`${as.origin}/token`, { dpop: false })
    await assert.rejects(plain.dpopHeaders(bearer, { method: 'GET', url: 'https://api.example.com/' }), TypeError)
  })

  test('a DPoP token by hand: the proof binds method, URL without query or fragment, ath', TIMEOUT, async () => {
    const as = await dpopServer(() => dpopToken('tok-h'))
    const c = client(`${as.origin}/token`)
    const token = await c.getToken(SCOPE)
    const headers = await c.dpopHeaders(token, { method: 'delete', url: 'https://user:pw@API.example.com:443/a/../b?x=1#f' })
    assert.equal(headers.authorization, 'DPoP tok-h')
    const claims = JSON.parse(Buffer.from((headers.dpop as string).split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>
    assert.equal(claims['htm'], 'DELETE')
    assert.equal(claims['htu'], 'https://api.example.com/b', 'no credentials, query or fragment in htu')
    assert.equal(claims['ath'], athOf('tok-h'))
    assert.equal(dpopNonceOf(String(claims['nonce'] ?? 'none')), String(claims['nonce'] ?? 'none'))
  })

  test(
    'dpopHeaders() on a closed client is refused as getToken() is',
    TIMEOUT,
    async () => {
      const as = await dpopServer(() => dpopToken('tok-c'))
      const c = client(`${as.origin}/token`)
      const token = await c.getToken(SCOPE)
      await c.close()
      await assert.rejects(c.getToken(SCOPE), { name: 'ClientClosedError' })
      await assert.rejects(c.dpopHeaders(token, { method: 'GET', url: 'https://api.example.com/' }), { name: 'ClientClosedError' })
    },
  )
})
