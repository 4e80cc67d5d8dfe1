import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { after, before, test } from 'node:test'
import { AbortError, ClientClosedError, OAuthError, type AccessToken } from '../../src/index.js'
import { startFixture, type Fixture } from '../helpers/fixtures.js'
import { recordWarnings } from '../helpers/process-warnings.js'
import { waitFor } from '../helpers/wait-for.js'

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

test('close() gives each request in flight its own CLIENT_CLOSED error, with that request\'s attempts', { timeout: 10_000 }, async () => {
  const client = f.makeClient()
  const sent = (scope: string) => f.server.log.tokenRequests({ scope }).length
  const before = { read: sent('api:read'), write: sent('audit') }
  // api:read: a 503, then a retry that hangs (2 attempts); audit: one attempt that hangs.
  f.server.faults.add({ type: 'status', status: 503 }, { scope: 'api:read' })
  f.server.faults.add({ type: 'delay', ms: 5_000 }, { scope: 'api:read' })
  f.server.faults.add({ type: 'delay', ms: 5_000 }, { scope: 'audit' })
  const settle = (call: Promise<AccessToken>) => call.then(() => assert.fail('resolved'), (error: unknown) => error)
  const reads = [settle(client.getToken('api:read')), settle(client.getToken('api:read'))]
  const audit = settle(client.getToken('audit'))
  await waitFor(() => sent('api:read') === before.read + 2 && sent('audit') === before.write + 1)
  await client.close()
  const [read, readAgain, auditError] = await Promise.all([...reads, audit])
  for (const error of [read, auditError]) {
    assert.ok(error instanceof ClientClosedError && error.code === 'CLIENT_CLOSED', String(error))
  }
  assert.notEqual(read, auditError, 'each request in flight has its own error')
  assert.equal(readAgain, read, 'the callers of one request share its error')
  assert.equal((read as ClientClosedError).attempts, 2)
  assert.equal((auditError as ClientClosedError).attempts, 1)
})

/**
 * 50 concurrent calls sharing one signal, against a server that holds each answer for `delayMs`: on
 * two scopes (two requests, the second scope holding the first), forced refreshes among them, so that
 * every kind of waiter listens. Checks that the signal carries one listener of the client's meanwhile.
 */
function callsSharingOneSignal(scopes: readonly [string, string], delayMs: number) {
  const client = f.makeClient()
  f.server.faults.add({ type: 'delay', ms: delayMs }, { scope: scopes[0], times: Infinity })
  const shared = new AbortController()
  const { signal } = shared
  const calls = Array.from({ length: 50 }, (_, index) =>
    client.getToken(scopes[index % 2], { signal, forceRefresh: index % 5 === 0 }),
  )
  assert.ok(getEventListeners(signal, 'abort').length <= 1, 'one listener, however many calls share the signal')
  return { shared, signal, calls }
}

test('50 concurrent calls sharing one signal put one listener on it, warn nothing, and leave none behind', { timeout: 10_000 }, async () => {
  const warnings = recordWarnings()
  try {
    const { signal, calls } = callsSharingOneSignal(['api:read', 'api:read api:write'], 50)
    const tokens = await Promise.all(calls)
    assert.equal(tokens.length, 50)
    assert.equal(getEventListeners(signal, 'abort').length, 0, 'no listener left once every call has settled')
  } finally {
    f.server.faults.clear()
  }
  assert.deepEqual((await warnings.stop()).map((warning) => warning.name), [])
})

test('aborting a signal shared by 50 concurrent calls rejects every one with ABORTED, leaving no listener', { timeout: 10_000 }, async () => {
  const warnings = recordWarnings()
  try {
    const { shared, signal, calls } = callsSharingOneSignal(['audit', 'audit api:read'], 5_000)
    setTimeout(() => shared.abort(new Error('caller gave up')), 20)
    for (const result of await Promise.allSettled(calls)) {
      assert.ok(result.status === 'rejected' && result.reason instanceof AbortError && result.reason.code === 'ABORTED')
    }
    assert.equal(getEventListeners(signal, 'abort').length, 0, 'no listener left once every call has settled')
  } finally {
    f.server.faults.clear()
  }
  assert.deepEqual((await warnings.stop()).map((warning) => warning.name), [])
})
