import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { inspect } from 'node:util'
import { AccessToken, createAuthFetch } from '../../src/index.js'
import { startEchoServer } from '../helpers/echo-server.js'
import { startFixture, type Fixture } from '../helpers/fixtures.js'

let f: Fixture
let echo: Awaited<ReturnType<typeof startEchoServer>>
before(async () => {
  f = await startFixture({ throttle: false })
  echo = await startEchoServer()
})
after(async () => {
  await f.close()
  await echo.close()
})

test('authorizationHeader() is the header that sends the token; a template string of the token sends no token', async () => {
  const token = await f.makeClient().getToken('api:read')
  assert.equal(token.authorizationHeader(), `Bearer ${token.accessToken}`)
  await (await fetch(`${echo.origin}/right`, { headers: { authorization: token.authorizationHeader() } })).text()
  await (await fetch(`${echo.origin}/wrong`, { headers: { authorization: `Bearer ${token}` } })).text()
  const [right, wrong] = echo.seen.slice(-2)
  assert.equal(right?.authorization, `Bearer ${token.accessToken}`)
  assert.ok(!wrong?.authorization?.includes(token.accessToken), 'String(token) never holds the token')
  assert.match(wrong?.authorization ?? '', /^Bearer AccessToken\(Bearer, scope "api:read", expires /)
})

test('toRecord() saves the token on purpose and fromRecord() restores it, through JSON; toJSON stays redacted', async () => {
  const token = await f.makeClient().getToken('api:read api:write')
  const saved = JSON.stringify(token.toRecord())
  assert.ok(saved.includes(token.accessToken))
  assert.ok(!JSON.stringify(token).includes(token.accessToken))
  const restored = AccessToken.fromRecord(JSON.parse(saved) as ReturnType<AccessToken['toRecord']>)
  assert.equal(restored.accessToken, token.accessToken)
  assert.equal(restored.expiresAt.getTime(), token.expiresAt.getTime())
  assert.equal(restored.scope, 'api:read api:write')
  // The restored token works where the client's does.
  const authFetch = createAuthFetch({ getToken: async () => restored, invalidate: () => {} }, { origins: [f.server.issuer] })
  const response = await authFetch(f.server.resourceUrl)
  assert.equal(response.status, 200)
  await response.text()
})

test('fromRecord() checks a record as outside input: a field that is wrong is named, the token never shown', () => {
  const good = { accessToken: 'abcDEF123-_', tokenType: 'Bearer' as const, expiresAt: Date.now() + 60_000, scope: 'a' }
  const cases: Array<[unknown, RegExp]> = [
    [null, /^record must be an object/],
    [{ ...good, accessToken: 'abcDEF123\r\nx-injected: 1' }, /^record\.accessToken must be an RFC 6750 b64token$/],
    [{ ...good, accessToken: 42 }, /^record\.accessToken/],
    [{ ...good, tokenType: 'MAC' }, /^record\.tokenType/],
    [{ ...good, expiresAt: '2026-12-01' }, /^record\.expiresAt/],
    [{ ...good, expiresAt: Number.POSITIVE_INFINITY }, /^record\.expiresAt/],
    [{ ...good, expiresAt: 1e300 }, /^record\.expiresAt/],
    [{ ...good, scope: 'a\nb' }, /^record\.scope/],
  ]
  for (const [record, message] of cases) {
    assert.throws(() => AccessToken.fromRecord(record as never), (error: unknown) => {
      assert.ok(error instanceof TypeError && (error as { code?: string }).code === 'ERR_INVALID_ARG_VALUE')
      assert.match(error.message, message)
      assert.ok(!inspect(error).includes('x-injected'))
      return true
    })
  }
})
