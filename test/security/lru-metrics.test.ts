// lru-cache publishes a status object per operation on its `lru-cache:metrics` channel, and get()
// writes that object into the options it was given. Options shared across calls would then carry
// one client's token into another client's lookups, and keep the last token handed out alive in a
// module-level object after the subscriber left.
import assert from 'node:assert/strict'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { after, before, test } from 'node:test'
import { startFixture, type Fixture } from '../helpers/fixtures.js'
import { SPACE_PLUS_SECRET } from '../helpers/secrets.js'

let f: Fixture
before(async () => {
  f = await startFixture({ throttle: false })
})
after(() => f.close())

test('with lru-cache:metrics subscribed, no lookup of one client reports (or keeps) another client\'s token', async () => {
  const statuses: Array<Record<string, unknown>> = []
  const listener = (status: unknown) => statuses.push(status as Record<string, unknown>)
  const a = f.makeClient()
  const b = f.makeClient({ clientId: 'plain', clientSecret: SPACE_PLUS_SECRET })
  subscribe('lru-cache:metrics', listener)
  try {
    const tokenA = await a.getToken('api:read')
    await a.getToken('api:read') // a cache hit: its status holds token A
    await b.getToken('api:read')
    b.invalidate('api:read')
    const fromB = statuses.length
    await b.getToken('api:read') // a miss in b's cache, on the lookup of a cached call
    const gets = statuses.slice(fromB).filter((status) => status.op === 'get')
    assert.ok(gets.length > 0)
    for (const status of gets) {
      const value = status.value as { value?: { accessToken?: string } } | undefined
      assert.notEqual(value?.value?.accessToken, tokenA.accessToken, "b's lookup reported a's token")
    }
    assert.equal(new Set(statuses).size, statuses.length, 'every operation has a status of its own')
  } finally {
    unsubscribe('lru-cache:metrics', listener)
  }
})
