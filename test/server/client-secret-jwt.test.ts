// client_secret_jwt (RFC 7523 §2.2, OpenID Connect Core §9): HS256/HS384/HS512 assertions MACed
// with the client's jwtSecret. The HMAC needs the key itself, which checklist item 17 (only hashes
// of secrets are stored) cannot give, so the key is a registration field of its own: kept as a
// KeyObject, used by client_secret_jwt only, never shown. These tests hold the server to that.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, beforeEach, describe, test } from 'node:test'
import { inspect } from 'node:util'
import { generateClientSecret, startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { TestClock } from '../helpers/test-clock.js'
import { assertionClaims, assertionForm, basic, postToken, signAssertion } from './helpers.js'

const clock = new TestClock()
const JWT_SECRET = generateClientSecret().secret // 43 bytes: enough for HS256 only
const LONG_SECRET = randomBytes(48).toString('base64url') // 64 bytes: HS384 and HS512 too
const BASIC_SECRET = 'the-basic-secret'
const bytes = (text: string) => new TextEncoder().encode(text)
let server: ReferenceServer

before(async () => {
  server = await startReferenceServer({
    clock,
    throttle: false,
    clients: [
      { clientId: 'hs', jwtSecret: JWT_SECRET, scopes: ['api:read'] },
      { clientId: 'long', jwtSecret: LONG_SECRET, scopes: [] },
      { clientId: 'two-ways', clientSecret: BASIC_SECRET, jwtSecret: JWT_SECRET, scopes: [] },
    ],
  })
})
after(() => server.close())
beforeEach(() => server.log.clear())

function assertion(secret: string, alg: string, clientId: string, overrides: Record<string, unknown> = {}) {
  return signAssertion(bytes(secret), { alg }, assertionClaims(clientId, server.issuer, clock.now(), overrides))
}

describe('RFC 7523 §2.2: accepted', () => {
  test('HS256 with a generated secret (43 bytes)', async () => {
    const response = await postToken(server.tokenUrl, assertionForm(await assertion(JWT_SECRET, 'HS256', 'hs')))
    assert.equal(response.status, 200, response.text)
    assert.equal(response.json['scope'], 'api:read')
    const [entry] = server.log.tokenRequests()
    assert.equal(entry?.authMethod, 'client_secret_jwt')
    assert.deepEqual(entry?.clientAssertion, { alg: 'HS256' })
  })

  test('HS384 and HS512 with a 64-byte secret', async () => {
    for (const alg of ['HS384', 'HS512']) {
      const response = await postToken(server.tokenUrl, assertionForm(await assertion(LONG_SECRET, alg, 'long')))
      assert.equal(response.status, 200, `${alg}: ${response.text}`)
    }
  })

  test('a client registered both ways: its clientSecret for Basic, its jwtSecret for assertions', async () => {
    const viaBasic = await postToken(server.tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic('two-ways', BASIC_SECRET) })
    assert.equal(viaBasic.status, 200)
    assert.equal((await postToken(server.tokenUrl, assertionForm(await assertion(JWT_SECRET, 'HS256', 'two-ways')))).status, 200)
    assert.deepEqual(
      server.log.tokenRequests().map((entry) => entry.authMethod),
      ['client_secret_basic', 'client_secret_jwt'],
    )
  })
})

describe('14, RFC 7518 §3.2: refused', () => {
  const refused = async (jwt: string, description: string) => {
    const response = await postToken(server.tokenUrl, assertionForm(jwt))
    assert.equal(response.status, 401, response.text)
    assert.deepEqual(response.json, { error: 'invalid_client', error_description: description })
  }

  test('the wrong secret', async () => {
    await refused(await assertion(LONG_SECRET, 'HS256', 'hs'), 'the assertion signature does not verify')
  })

  test('HS384 and HS512 with a secret shorter than their hash', async () => {
    for (const alg of ['HS384', 'HS512']) {
      await refused(
        await assertion(JWT_SECRET, alg, 'hs'),
        "the client's jwtSecret is shorter than this alg needs (RFC 7518 section 3.2: 48 bytes for HS384, 64 for HS512)",
      )
    }
  })

  test('an HS* algorithm outside the allowlist', async () => {
    const [, payload] = (await assertion(JWT_SECRET, 'HS256', 'hs')).split('.')
    const header = Buffer.from(JSON.stringify({ alg: 'HS1' })).toString('base64url')
    const description = 'the assertion alg is not one client_secret_jwt takes (token_endpoint_auth_signing_alg_values_supported)'
    await refused(`${header}.${payload}.c2ln`, description)
  })

  test('the jwtSecret is no client_secret: Basic and client_secret_post with it fail', async () => {
    const viaBasic = await postToken(server.tokenUrl, { grant_type: 'client_credentials' }, { authorization: basic('hs', JWT_SECRET) })
    const viaPost = await postToken(server.tokenUrl, { grant_type: 'client_credentials', client_id: 'hs', client_secret: JWT_SECRET })
    for (const response of [viaBasic, viaPost]) {
      assert.equal(response.status, 401)
      assert.equal(response.json['error_description'], 'client authentication failed')
    }
  })

  test("the Basic secret of a client registered both ways does not MAC its assertions", async () => {
    await refused(await assertion(BASIC_SECRET.padEnd(32, '-'), 'HS256', 'two-ways'), 'the assertion signature does not verify')
  })
})

describe('registration of jwtSecret', () => {
  test('shorter than 32 bytes, not VSCHAR, or not a string: a TypeError naming it, never quoting it', async () => {
    const table: [unknown, RegExp][] = [
      [
        'short-secret',
        /^options\.clients\[0\]\.jwtSecret must be at least 32 bytes \(RFC 7518 §3\.2\), such as generateClientSecret\(\)\.secret$/,
      ],
      ['x'.repeat(31), /jwtSecret must be at least 32 bytes/],
      [`${'x'.repeat(40)}\n`, /jwtSecret must be a non-empty string of VSCHAR/],
      ['', /jwtSecret must be a non-empty string of VSCHAR/],
      [42, /jwtSecret must be a non-empty string of VSCHAR/],
    ]
    for (const [jwtSecret, message] of table) {
      const start = startReferenceServer({ clients: [{ clientId: 'svc', jwtSecret: jwtSecret as string, scopes: [] }] })
      await assert.rejects(start, (error: NodeJS.ErrnoException) => {
        assert.equal(error.code, 'ERR_INVALID_ARG_VALUE')
        assert.match(error.message, message)
        if (typeof jwtSecret === 'string' && jwtSecret !== '') assert.ok(!error.message.includes(jwtSecret.trim()))
        return true
      })
    }
  })

  test('32 bytes is enough; the secret appears in no log, inspect or JSON of the server', async () => {
    const secret = 'y'.repeat(32)
    const own = await startReferenceServer({ clients: [{ clientId: 'svc', jwtSecret: secret, scopes: [] }] })
    try {
      const claims = assertionClaims('svc', own.issuer, Date.now())
      assert.equal((await postToken(own.tokenUrl, assertionForm(await signAssertion(bytes(secret), { alg: 'HS256' }, claims)))).status, 200)
      await postToken(own.tokenUrl, { grant_type: 'client_credentials', client_id: 'svc', client_secret: secret })
      const shown = [
        inspect(own, { depth: Infinity, showHidden: true }),
        JSON.stringify(own),
        JSON.stringify(own.log),
        inspect(own.log.entries, { depth: Infinity }),
      ]
      for (const text of shown) assert.ok(!text.includes(secret), 'the jwtSecret is never shown')
    } finally {
      await own.close()
    }
  })
})
