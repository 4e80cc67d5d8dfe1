// An empty scope is no scope given (issue: "a new user's first hour"): RFC 6749 §3.3 has no empty
// scope, so `getToken('')`, `getToken('  ')` and `getToken([])` ask for the client's `scope` option
// and share the token of `getToken()`. They used to send no scope at all, dropping the configured
// one: `getToken(process.env.SCOPE)` with `SCOPE=` got the server's default scope instead.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { givenScope, normalizeScope, type ScopeInput } from '../../src/request/scope.js'
import { startFixture } from '../helpers/fixtures.js'
import { SPACE_PLUS_SECRET } from '../helpers/secrets.js'

const EMPTY: ScopeInput[] = ['', ' ', '   ', [], [''], ['', '  ']]

test("an empty scope asks for the client's scope option and shares getToken()'s token", async () => {
  const f = await startFixture({ throttle: false })
  try {
    const client = f.makeClient({ scope: 'api:read' })
    const first = await client.getToken()
    for (const scope of EMPTY) {
      assert.equal(await client.getToken(scope), first, JSON.stringify(scope))
      assert.equal(await client.getToken(scope, { signal: AbortSignal.timeout(5_000) }), first, `${JSON.stringify(scope)} with options`)
    }
    assert.equal(f.requests(), 1, 'one token for the default scope, however it is spelt')
    const forced = await client.getToken('', { forceRefresh: true })
    assert.equal(forced.scope, 'api:read')
    assert.deepEqual(f.server.log.tokenRequests().map((entry) => entry.params.scope), [['api:read'], ['api:read']])
    assert.equal(await client.getToken([]), forced, 'the refreshed default token')

    // Without a `scope` option, no scope parameter is sent, as for getToken().
    const bare = f.makeClient({ clientId: 'plain', clientSecret: SPACE_PLUS_SECRET })
    await bare.getToken('')
    await bare.getToken([])
    await bare.getToken()
    const plain = f.server.log.tokenRequests({ clientId: 'plain' })
    assert.deepEqual(plain.map((entry) => entry.params.scope), [undefined])
  } finally {
    await f.close()
  }
})

test("invalidate('') drops the default scope's token, as invalidate() of that scope would", async () => {
  const f = await startFixture({ throttle: false })
  try {
    const client = f.makeClient({ scope: 'api:read' })
    const first = await client.getToken()
    client.invalidate('')
    const second = await client.getToken()
    assert.notEqual(second.accessToken, first.accessToken)
    client.invalidate([])
    await client.getToken('')
    assert.equal(f.requests(), 3)
  } finally {
    await f.close()
  }
})

test('givenScope() is undefined exactly when normalizeScope() finds no scope token', () => {
  for (const scope of EMPTY) {
    assert.equal(givenScope(scope), undefined, JSON.stringify(scope))
    assert.deepEqual(normalizeScope(scope), [])
  }
  const kept: unknown[] = ['a', ' a ', ['a'], ['', 'a'], ['\t'], ['', 1], 42, null, {}]
  for (const scope of kept) assert.equal(givenScope(scope as ScopeInput), scope, JSON.stringify(scope))
  assert.equal(givenScope(undefined), undefined)
})
