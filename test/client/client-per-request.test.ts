import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { MANY_CLIENTS_WARNING, TokenClient } from '../../src/index.js'
import { recordWarnings } from '../helpers/process-warnings.js'
import { startFixture, type Fixture, CLIENT_ID } from '../helpers/fixtures.js'
import { RESERVED_SECRET, SPACE_PLUS_SECRET } from '../helpers/secrets.js'

let f: Fixture
before(async () => {
  f = await startFixture({ throttle: false })
})
after(() => f.close())

test('clients that are closed when done never warn, however many', async () => {
  const warnings = recordWarnings()
  for (let i = 0; i < 60; i++) {
    const client = new TokenClient({ tokenUrl: f.server.tokenUrl, clientId: CLIENT_ID, clientSecret: RESERVED_SECRET })
    await client.close()
  }
  assert.deepEqual((await warnings.stop()).map((w) => (w as { code?: string }).code), [])
})

test('a client per request (many of one configuration open at once) warns once, with a code and no secret', async () => {
  const warnings = recordWarnings()
  const clients: TokenClient[] = []
  for (let i = 0; i < 60; i++) {
    clients.push(new TokenClient({ tokenUrl: f.server.tokenUrl, clientId: CLIENT_ID, clientSecret: RESERVED_SECRET }))
  }
  // Another configuration is counted on its own.
  clients.push(new TokenClient({ tokenUrl: f.server.tokenUrl, clientId: 'plain', clientSecret: SPACE_PLUS_SECRET }))
  const seen = (await warnings.stop()).filter((w) => (w as { code?: string }).code === MANY_CLIENTS_WARNING)
  await Promise.all(clients.map((client) => client.close()))
  assert.equal(seen.length, 1)
  assert.match(seen[0]?.message ?? '', /^25 TokenClients of one configuration .* create one client when the process starts and share it/)
  assert.ok(!seen[0]?.message.includes(RESERVED_SECRET) && !seen[0]?.message.includes(f.server.tokenUrl))
})
