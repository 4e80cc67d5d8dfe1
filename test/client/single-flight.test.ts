import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { AbortError, ClientClosedError, OAuthError } from '../../src/index.js'
import { startFixture, type Fixture } from '../helpers/fixtures.js'

let f: Fixture
before(async () => {
  f = await startFixture({ throttle: false })
})
after(() => f.close())

test('1000 concurrent cold calls make exactly one token request and share one token', async () => {
  const client = f.makeClient()
  const tokens = await Promise.all(Array.from({ length: 1000 }, () => client.getToken('api:read')))
  assert.equal(f.server.log.tokenRequests({ scope: 'api:read' }).length, 1)
  assert.equal(new Set(tokens).size, 1)
})

test('one caller aborting rejects that caller only; the others get the token from the one request', async () => {
  const client = f.makeClient()
  f.server.faults.add({ type: 'delay', ms: 100 }, { scope: 'api:write' })
  const quitter = new AbortController()
  const aborted = client.getToken('api:write', { signal: quitter.signal })
  const stayers = Array.from({ length: 10 }, () => client.getToken('api:write'))
  setTimeout(() => quitter.abort(new Error('caller gave up')), 10)
  await assert.rejects(aborted, (error: unknown) => error instanceof AbortError && error.code === 'ABORTED')
  const tokens = await Promise.all(stayers)
  assert.equal(new Set(tokens).size, 1)
  assert.equal(f.server.log.tokenRequests({ scope: 'api:write' }).length, 1)
})

test('an already-aborted signal rejects at once without a request', async () => {
  const client = f.makeClient()
  const before = f.server.log.tokenRequests().length
  await assert.rejects(client.getToken('audit', { signal: AbortSignal.abort() }), AbortError)
  assert.equal(f.server.log.tokenRequests().length, before)
})

test('a failed shared request rejects every waiter with the same error and caches nothing', async () => {
  const client = f.makeClient()
  f.server.faults.add(
    { type: 'status', status: 400, body: JSON.stringify({ error: 'invalid_scope', error_description: 'not now' }), contentType: 'application/json' },
    { scope: 'audit' },
  )
  const results = await Promise.allSettled(Array.from({ length: 50 }, () => client.getToken('audit')))
  const reasons = new Set(results.map((result) => (result.status === 'rejected' ? result.reason : 'fulfilled')))
  assert.equal(reasons.size, 1, 'one shared error')
  const [reason] = reasons
  assert.ok(reason instanceof OAuthError && reason.error === 'invalid_scope')
  assert.equal(f.server.log.tokenRequests({ scope: 'audit' }).length, 1)
  const token = await client.getToken('audit')
  assert.equal(token.scope, 'audit', 'nothing was cached: the next call asks again and succeeds')
  assert.equal(f.server.log.tokenRequests({ scope: 'audit' }).length, 2)
})

test('close() rejects waiting callers with CLIENT_CLOSED and later calls too', async () => {
  const client = f.makeClient()
  f.server.faults.add({ type: 'delay', ms: 200 }, { scope: 'api:read' })
  const waiting = client.getToken('api:read api:write', { params: { case: 'close' } })
  const rejected = assert.rejects(waiting, ClientClosedError)
  await new Promise((r) => setTimeout(r, 20))
  await client.close()
  await rejected
  await assert.rejects(client.getToken('api:read'), (error: unknown) => error instanceof ClientClosedError && error.code === 'CLIENT_CLOSED')
})
