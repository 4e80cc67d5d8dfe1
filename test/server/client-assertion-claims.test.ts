// The claims of a client assertion (RFC 7523 §3, OpenID Connect Core §9) on an injected clock:
// iss = sub = the client id, aud naming this server, exp required and not past, a maximum lifetime,
// nbf and iat not in the future, jti required and used once (replay cache), with the documented
// clock skew (15 s) and maximum lifetime (300 s). Also the form rules of RFC 7521 §4.2 and the
// throttle (checklist item 15). Each refusal is 401 invalid_client (item 14) with its own description.
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose'
import { assertionTimeProblem } from '../../src/server/clients/client-assertion.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { TestClock } from '../helpers/test-clock.js'
import { JWT_BEARER, assertionClaims, assertionForm, postToken, signAssertion } from './helpers.js'

const clock = new TestClock()
const JWT_SECRET = 'another-jwt-secret-of-32-bytes-or-more'
let privateKey: CryptoKey
let server: ReferenceServer
/** The server's clock in epoch seconds. */
const now = () => Math.floor(clock.now() / 1000)

before(async () => {
  const pair = await generateKeyPair('ES256')
  privateKey = pair.privateKey
  const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1' }] }
  server = await startReferenceServer({
    clock,
    throttle: false,
    clients: [
      { clientId: 'svc', jwks, jwtSecret: JWT_SECRET, scopes: ['api:read'] },
      { clientId: 'other', jwks, scopes: [] },
    ],
  })
})
after(() => server.close())
beforeEach(() => server.log.clear())

/** Signs claims for `svc` (ES256, kid k1) at the issuer, issued now by the server's clock, with `overrides`. */
function sign(overrides: Record<string, unknown> = {}, clientId = 'svc'): Promise<string> {
  return signAssertion(privateKey, { alg: 'ES256', kid: 'k1' }, assertionClaims(clientId, server.issuer, clock.now(), overrides))
}

async function answer(jwt: string, extra: Record<string, string> = {}): Promise<{ status: number; description: unknown }> {
  const response = await postToken(server.tokenUrl, assertionForm(jwt, extra))
  if (response.status !== 200) assert.equal(response.json['error'], response.status === 401 ? 'invalid_client' : 'invalid_request')
  return { status: response.status, description: response.json['error_description'] }
}

const accepted = { status: 200, description: undefined }
const refused = (description: string) => ({ status: 401, description })

describe('RFC 7523 §3 item 4: exp, required and not past (15 s of skew)', () => {
  test('missing, not a number, past by more than the skew', async () => {
    assert.deepEqual(await answer(await sign({ exp: undefined })), refused('the assertion has no exp claim'))
    assert.deepEqual(await answer(await sign({ exp: String(now() + 60) })), refused('the assertion exp claim must be a number'))
    assert.deepEqual(await answer(await sign({ iat: now() - 100, exp: now() - 16 })), refused('the assertion has expired (exp)'))
    assert.deepEqual(await answer(await sign({ iat: now() - 100, exp: now() - 15 })), refused('the assertion has expired (exp)'))
  })

  test('past by less than the skew is still taken', async () => {
    assert.deepEqual(await answer(await sign({ iat: now() - 100, exp: now() - 14 })), accepted)
  })
})

describe('the maximum lifetime: 300 s, exp - iat (or exp - now without iat)', () => {
  test('exp - iat', async () => {
    assert.deepEqual(await answer(await sign({ exp: now() + 300 })), accepted)
    assert.deepEqual(await answer(await sign({ exp: now() + 301 })), refused('the assertion lives longer than 300 seconds (exp - iat)'))
    // An old iat with a near exp is within the lifetime only if exp - iat is.
    const old = await sign({ iat: now() - 600, exp: now() + 60 })
    assert.deepEqual(await answer(old), refused('the assertion lives longer than 300 seconds (exp - iat)'))
  })

  test('without iat, exp - now, which may exceed it by the skew', async () => {
    assert.deepEqual(await answer(await sign({ iat: undefined, exp: now() + 315 })), accepted)
    assert.deepEqual(
      await answer(await sign({ iat: undefined, exp: now() + 316 })),
      refused('the assertion lives longer than 300 seconds (exp - now, it has no iat)'),
    )
  })
})

describe('RFC 7523 §3 items 5-6: nbf and iat not in the future beyond the skew', () => {
  test('nbf', async () => {
    assert.deepEqual(await answer(await sign({ nbf: now() + 15 })), accepted)
    assert.deepEqual(await answer(await sign({ nbf: now() + 16 })), refused('the assertion is not valid yet (nbf)'))
  })

  test('iat', async () => {
    assert.deepEqual(await answer(await sign({ iat: now() + 15, exp: now() + 75 })), accepted)
    assert.deepEqual(await answer(await sign({ iat: now() + 16, exp: now() + 76 })), refused('the assertion was issued in the future (iat)'))
    assert.deepEqual(await answer(await sign({ iat: 'now' })), refused('the assertion iat claim must be a number'))
  })
})

describe('RFC 7523 §3 items 1-2: iss and sub are the client id', () => {
  test('iss another id, or missing', async () => {
    assert.deepEqual(await answer(await sign({ iss: 'mallory' })), refused('the assertion iss must be the client id'))
    assert.deepEqual(await answer(await sign({ iss: undefined })), refused('the assertion has no iss claim'))
  })

  test('sub naming another client: that client is the one claimed, and iss gives it away', async () => {
    // Signed with a key `other` shares, so only the claims can tell.
    assert.deepEqual(await answer(await sign({ sub: 'other' })), refused('the assertion iss must be the client id'))
    assert.equal(server.log.tokenRequests()[0]?.clientId, 'other')
  })

  test('sub not a string, with client_id naming the client', async () => {
    assert.deepEqual(await answer(await sign({ sub: 42 }), { client_id: 'svc' }), refused('the assertion sub must be the client id'))
  })

  test('sub and body client_id naming two clients: 400 invalid_request (checklist item 13)', async () => {
    const response = await postToken(server.tokenUrl, assertionForm(await sign({ sub: 'other' }), { client_id: 'svc' }))
    assert.equal(response.status, 400)
    assert.deepEqual(response.json, { error: 'invalid_request', error_description: 'client_id does not match the client_assertion sub' })
  })
})

describe('RFC 7523 §3 item 3: aud names this server', () => {
  test('the issuer, the token endpoint, or a list holding one of them', async () => {
    for (const aud of [server.issuer, server.tokenUrl, ['https://elsewhere.example', server.issuer]]) {
      assert.deepEqual(await answer(await sign({ aud })), accepted, JSON.stringify(aud))
    }
  })

  test('anything else, compared exactly, and a missing aud', async () => {
    const description = 'the assertion aud must contain the issuer or the token endpoint URL'
    for (const aud of ['https://elsewhere.example', `${server.issuer}/`, server.tokenUrl.toUpperCase(), server.jwksUri, [], ['x']]) {
      assert.deepEqual(await answer(await sign({ aud })), refused(description), JSON.stringify(aud))
    }
    assert.deepEqual(await answer(await sign({ aud: undefined })), refused('the assertion has no aud claim'))
  })
})

describe('RFC 7523 §3 item 7: jti required and used once', () => {
  test('missing, empty or not a string', async () => {
    assert.deepEqual(await answer(await sign({ jti: undefined })), refused('the assertion has no jti claim'))
    assert.deepEqual(await answer(await sign({ jti: '' })), refused('the assertion jti must be a non-empty string'))
    assert.deepEqual(await answer(await sign({ jti: 7 })), refused('the assertion jti must be a non-empty string'))
  })

  test('a replay is refused; so is a new assertion with a jti still in use; another client may use the same jti', async () => {
    const jti = 'replayed-jti'
    const first = await sign({ jti })
    assert.deepEqual(await answer(first), accepted)
    assert.deepEqual(await answer(first), refused('the assertion jti was used before (a replay)'))
    clock.advance(1_000)
    assert.deepEqual(await answer(await sign({ jti })), refused('the assertion jti was used before (a replay)'))
    assert.deepEqual(await answer(await sign({ jti, iss: 'other' }, 'other')), accepted)
    const hmacClaims = assertionClaims('svc', server.issuer, clock.now(), { jti })
    const hmac = await signAssertion(new TextEncoder().encode(JWT_SECRET), { alg: 'HS256' }, hmacClaims)
    assert.deepEqual(await answer(hmac), refused('the assertion jti was used before (a replay)'), 'one cache for both methods')
  })

  test('once the assertion has expired (exp + skew), its jti may come back in a new one', async () => {
    const jti = 'expiring-jti'
    const first = await sign({ jti }) // exp = now + 60
    assert.deepEqual(await answer(first), accepted)
    clock.advance(60_000 + 14_000)
    assert.deepEqual(await answer(await sign({ jti })), refused('the assertion jti was used before (a replay)'))
    clock.advance(1_000) // exp + 15 s: the first is no longer accepted anywhere, and forgotten
    assert.deepEqual(await answer(first), refused('the assertion has expired (exp)'))
    assert.deepEqual(await answer(await sign({ jti })), accepted)
  })

  test('a refused assertion does not use up its jti', async () => {
    const jti = 'unused-jti'
    const elsewhere = await sign({ jti, aud: 'https://elsewhere.example' })
    assert.deepEqual(await answer(elsewhere), refused('the assertion aud must contain the issuer or the token endpoint URL'))
    assert.deepEqual(await answer(await sign({ jti })), accepted)
  })

  test('two requests with one assertion at once: exactly one passes', async () => {
    const jwt = await sign()
    const answers = await Promise.all(Array.from({ length: 8 }, () => answer(jwt)))
    assert.equal(answers.filter((one) => one.status === 200).length, 1)
    assert.equal(answers.filter((one) => one.description === 'the assertion jti was used before (a replay)').length, 7)
  })
})

describe('RFC 7521 §4.2: client_assertion_type and client_assertion', () => {
  test('a wrong or missing type, a type without an assertion', async () => {
    const jwt = await sign()
    assert.deepEqual(
      await answer(jwt, { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer' }),
      refused(`client_assertion_type must be ${JWT_BEARER}`),
    )
    const withoutType = await postToken(server.tokenUrl, { grant_type: 'client_credentials', client_assertion: jwt })
    assert.equal(withoutType.status, 401)
    assert.equal(withoutType.json['error_description'], 'client_assertion_type is required with client_assertion')
    const typeOnly = { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_id: 'svc' }
    const withoutAssertion = await postToken(server.tokenUrl, typeOnly)
    assert.equal(withoutAssertion.status, 401)
    assert.equal(withoutAssertion.json['error_description'], 'client_assertion is required with client_assertion_type')
    // None of them used the assertion up.
    assert.deepEqual(await answer(jwt), accepted)
  })

  test('a repeated client_assertion is 400 invalid_request (checklist item 4)', async () => {
    const jwt = await sign()
    const response = await postToken(server.tokenUrl, [
      ['grant_type', 'client_credentials'],
      ['client_assertion_type', JWT_BEARER],
      ['client_assertion', jwt],
      ['client_assertion', jwt],
    ])
    assert.equal(response.status, 400)
    assert.equal(response.json['error_description'], 'parameter client_assertion repeated')
  })
})

describe('15: refused assertions count towards the throttle', () => {
  test('two failures lock the client id out, the right assertion included', async () => {
    const pair = await generateKeyPair('ES256')
    const own = await startReferenceServer({
      clock,
      throttle: { maxFailures: 2, windowMs: 60_000 },
      clients: [{ clientId: 'svc', jwks: { keys: [await exportJWK(pair.publicKey)] }, scopes: [] }],
    })
    try {
      const claims = (overrides = {}) => assertionClaims('svc', own.issuer, clock.now(), overrides)
      const post = async (overrides = {}) =>
        (await postToken(own.tokenUrl, assertionForm(await signAssertion(pair.privateKey, { alg: 'ES256' }, claims(overrides))))).status
      assert.equal(await post({ aud: 'x' }), 401)
      assert.equal(await post({ exp: undefined }), 401)
      assert.equal(await post(), 429)
      clock.advance(60_000)
      assert.equal(await post(), 200)
    } finally {
      await own.close()
    }
  })
})

describe('the clientAssertions option', () => {
  test('clockSkewSeconds: 0 makes the times exact', async () => {
    const pair = await generateKeyPair('ES256')
    const own = await startReferenceServer({
      clock,
      throttle: false,
      clientAssertions: { clockSkewSeconds: 0, maxLifetimeSeconds: 60 },
      clients: [{ clientId: 'svc', jwks: { keys: [await exportJWK(pair.publicKey)] }, scopes: [] }],
    })
    try {
      const post = async (overrides: Record<string, unknown>) => {
        const jwt = await signAssertion(pair.privateKey, { alg: 'ES256' }, assertionClaims('svc', own.issuer, clock.now(), overrides))
        return (await postToken(own.tokenUrl, assertionForm(jwt))).json['error_description']
      }
      assert.equal(await post({ iat: now() - 10, exp: now() }), 'the assertion has expired (exp)')
      assert.equal(await post({ iat: now() - 10, exp: now() + 1 }), undefined)
      assert.equal(await post({ nbf: now() + 1 }), 'the assertion is not valid yet (nbf)')
      assert.equal(await post({ iat: now() + 1, exp: now() + 2 }), 'the assertion was issued in the future (iat)')
      assert.equal(await post({ exp: now() + 61 }), 'the assertion lives longer than 60 seconds (exp - iat)')
    } finally {
      await own.close()
    }
  })

  test('bad values are a TypeError naming them', async () => {
    const table: [unknown, string][] = [
      ['5m', 'options.clientAssertions must be { clockSkewSeconds?, maxLifetimeSeconds?, maxJtis? }'],
      [{ clockSkewSeconds: -1 }, 'options.clientAssertions.clockSkewSeconds must be a non-negative integer number of seconds'],
      [{ clockSkewSeconds: Infinity }, 'options.clientAssertions.clockSkewSeconds must be a non-negative integer number of seconds'],
      [{ maxLifetimeSeconds: 0 }, 'options.clientAssertions.maxLifetimeSeconds must be a positive integer number of seconds'],
      [{ maxLifetimeSeconds: 1.5 }, 'options.clientAssertions.maxLifetimeSeconds must be a positive integer number of seconds'],
      [{ maxJtis: 0 }, 'options.clientAssertions.maxJtis must be a positive integer'],
      [{ maxJtis: Infinity }, 'options.clientAssertions.maxJtis must be a positive integer'],
    ]
    for (const [clientAssertions, message] of table) {
      await assert.rejects(startReferenceServer({ clientAssertions: clientAssertions as never }), { code: 'ERR_INVALID_ARG_VALUE', message })
    }
  })
})

test('assertionTimeProblem: the checks jose leaves to the server, as a table', () => {
  const rules = { clockSkewSeconds: 15, maxLifetimeSeconds: 300 }
  const at = 1_000_000
  const table: [Record<string, unknown>, string | undefined][] = [
    [{ jti: 'a', iat: at, exp: at + 300 }, undefined],
    [{ jti: 'a', iat: at, exp: at + 301 }, 'the assertion lives longer than 300 seconds (exp - iat)'],
    [{ jti: 'a', exp: at + 315 }, undefined],
    [{ jti: 'a', exp: at + 316 }, 'the assertion lives longer than 300 seconds (exp - now, it has no iat)'],
    [{ jti: 'a', iat: at + 15, exp: at + 60 }, undefined],
    [{ jti: 'a', iat: at + 16, exp: at + 60 }, 'the assertion was issued in the future (iat)'],
    [{ jti: '', iat: at, exp: at + 60 }, 'the assertion jti must be a non-empty string'],
    [{ jti: ['a'], iat: at, exp: at + 60 }, 'the assertion jti must be a non-empty string'],
  ]
  for (const [claims, expected] of table) assert.equal(assertionTimeProblem(claims, at, rules), expected, JSON.stringify(claims))
})
