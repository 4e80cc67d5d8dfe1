// The TokenClient against every quirk profile of the reference server: a token from each, typed
// errors where the server bends the error rules, and the documented fallbacks where it leaves members out.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { OAuthError, TokenClient, type TokenClientOptions } from '../../src/index.js'
import { QUIRKS, startReferenceServer, type Quirk, type ReferenceServer } from '../../src/server/index.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'
import { TestClock } from '../helpers/test-clock.js'

const CLIENT_ID = 'svc' // no ':' in the id: raw Basic cannot carry one
const SCOPES = ['api:read', 'api:write']
const DEFAULT_LIFETIME_MS = 5 * 60_000 // the client's documented default when expires_in is missing

/** A server with one quirk profile, and a factory for clients of it that are closed with it. */
function profile(quirks: Quirk[]) {
  let server: ReferenceServer
  const clients: TokenClient[] = []
  before(async () => {
    server = await startReferenceServer({
      quirks,
      throttle: false,
      clients: [{ clientId: CLIENT_ID, clientSecret: RESERVED_SECRET, scopes: SCOPES }],
    })
  })
  after(async () => {
    await Promise.all(clients.map((client) => client.close()))
    await server.close()
  })
  return {
    server: () => server,
    client(options: Partial<TokenClientOptions> = {}) {
      const client = new TokenClient({
        tokenUrl: server.tokenUrl,
        clientId: CLIENT_ID,
        clientSecret: RESERVED_SECRET,
        // A server that never decodes Basic needs raw credentials.
        ...(quirks.includes('raw-basic') ? { basicEncoding: 'raw' as const } : {}),
        retry: { minDelayMs: 1, maxDelayMs: 5 },
        ...options,
      })
      clients.push(client)
      return client
    },
  }
}

for (const quirk of QUIRKS) {
  describe(`quirk '${quirk}'`, () => {
    const p = profile([quirk])

    test('the client gets a Bearer token, and the server says the quirk applied', async () => {
      const clock = new TestClock()
      const token = await p.client({ clock }).getToken('api:read')
      assert.equal(token.tokenType, 'Bearer')
      assert.ok(token.accessToken.length >= 43)
      assert.equal(token.scope, 'api:read')
      const lifetimeMs = quirk === 'no-expires-in' ? DEFAULT_LIFETIME_MS : 3_600_000
      assert.equal(token.expiresAt.getTime(), clock.now() + lifetimeMs)
      assert.ok(p.server().tokens.get(token.accessToken, Date.now()), 'the server issued it')
      const [entry] = p.server().log.tokenRequests().slice(-1)
      assert.equal(entry?.status, 200)
      assert.deepEqual(entry?.quirks, [quirk])
    })

    test('a refused scope is an OAuthError invalid_scope, not retried', async () => {
      const before = p.server().log.count({ path: '/token' })
      await assert.rejects(p.client().getToken('admin'), (error: unknown) => {
        assert.ok(error instanceof OAuthError)
        assert.equal(error.error, 'invalid_scope')
        assert.equal(error.status, 400)
        assert.equal(error.attempts, 1)
        return true
      })
      assert.equal(p.server().log.count({ path: '/token' }), before + 1)
    })
  })
}

describe("quirk 'errors-as-400'", () => {
  const p = profile(['errors-as-400'])

  test('a wrong secret is OAuthError invalid_client with status 400, not retried', async () => {
    await assert.rejects(p.client({ clientSecret: 'wrong-secret' }).getToken('api:read'), (error: unknown) => {
      assert.ok(error instanceof OAuthError)
      assert.equal(error.error, 'invalid_client')
      assert.equal(error.status, 400)
      assert.equal(error.attempts, 1)
      return true
    })
    assert.equal(p.server().log.count({ path: '/token', clientId: CLIENT_ID }), 1)
  })
})

describe("quirk 'raw-basic'", () => {
  const p = profile(['raw-basic'])

  test("with the default basicEncoding 'form', a secret with % + and space is invalid_client naming basicEncoding", async () => {
    assert.match(RESERVED_SECRET, /%/)
    assert.match(RESERVED_SECRET, /\+/)
    assert.match(RESERVED_SECRET, / /)
    await assert.rejects(p.client({ basicEncoding: 'form' }).getToken('api:read'), (error: unknown) => {
      assert.ok(error instanceof OAuthError)
      assert.equal(error.error, 'invalid_client')
      assert.equal(error.status, 401)
      assert.match(error.message, /basicEncoding: 'raw'/)
      assert.equal(error.message.includes(RESERVED_SECRET), false)
      assert.equal(error.attempts, 1)
      return true
    })
    const [entry] = p.server().log.tokenRequests().slice(-1)
    assert.equal(entry?.basicFormEncoded, true, 'the server log shows the client form-encoded')
  })

  test("with basicEncoding 'raw', or client_secret_post, the same secret works", async () => {
    assert.equal((await p.client({ basicEncoding: 'raw' }).getToken('api:write')).scope, 'api:write')
    assert.equal((await p.client({ authMethod: 'client_secret_post' }).getToken('api:write')).scope, 'api:write')
  })
})

describe("quirk 'no-scope-echo'", () => {
  const p = profile(['no-scope-echo'])

  test('the token carries the requested scope, normalised', async () => {
    const token = await p.client().getToken(['api:write', 'api:read', 'api:write'])
    assert.equal(token.scope, 'api:read api:write')
    assert.equal(p.server().log.tokenRequests().at(-1)?.params['scope']?.[0], 'api:read api:write')
  })
})

describe("quirk 'form-response'", () => {
  const p = profile(['form-response'])

  test('a form-encoded success parses, and a form-encoded error is a typed OAuthError', async () => {
    const clock = new TestClock()
    const token = await p.client({ clock }).getToken('api:read api:write')
    assert.equal(token.scope, 'api:read api:write')
    assert.equal(token.expiresAt.getTime(), clock.now() + 3_600_000)
    await assert.rejects(p.client({ clientSecret: 'wrong-secret' }).getToken('api:read'), (error: unknown) => {
      assert.ok(error instanceof OAuthError)
      assert.equal(error.error, 'invalid_client')
      assert.equal(error.errorDescription, 'client authentication failed')
      assert.equal(error.status, 401)
      return true
    })
  })
})

describe('every quirk at once', () => {
  const p = profile([...QUIRKS])

  test('a token with the requested scope and the default lifetime; errors stay typed and final', async () => {
    const clock = new TestClock()
    const token = await p.client({ clock }).getToken('api:read')
    assert.equal(token.tokenType, 'Bearer')
    assert.equal(token.scope, 'api:read')
    assert.equal(token.expiresAt.getTime(), clock.now() + DEFAULT_LIFETIME_MS)
    await assert.rejects(p.client({ clientSecret: 'wrong-secret' }).getToken('api:read'), (error: unknown) => {
      assert.ok(error instanceof OAuthError)
      assert.equal(error.error, 'invalid_client')
      assert.equal(error.status, 400)
      assert.equal(error.attempts, 1)
      return true
    })
  })
})
