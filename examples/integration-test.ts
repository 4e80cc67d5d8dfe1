// An integration test of your own code against the reference token server, with node:test.
// The server runs in the test process on a free loopback port; no mocks, no network.
//
//   node --import tsx --test examples/integration-test.ts
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { OAuthError, TokenClient, createAuthFetch, type FetchLike } from 'oauth2-client-credentials'
import { startReferenceServer, type ReferenceServer } from 'oauth2-client-credentials/server'

// The code under test: a small API client that takes its fetch from outside.
class OrdersApi {
  constructor(
    private readonly baseUrl: string,
    private readonly fetch: FetchLike,
  ) {}

  async whoAmI(): Promise<{ client_id: string; scope: string }> {
    const res = await this.fetch(this.baseUrl)
    if (!res.ok) throw new Error(`orders API answered ${res.status}`)
    return (await res.json()) as { client_id: string; scope: string }
  }
}

const SECRET = 's3cr:et% +&=/' // reserved characters on purpose: they must be form-encoded in Basic
let server: ReferenceServer
let client: TokenClient

before(async () => {
  server = await startReferenceServer({
    clients: [{ clientId: 'orders-service', clientSecret: SECRET, scopes: ['orders:read', 'orders:write'] }],
  })
  client = new TokenClient({
    tokenUrl: server.tokenUrl,
    clientId: 'orders-service',
    clientSecret: SECRET,
    retry: { minDelayMs: 1, maxDelayMs: 5 }, // keep retries fast in tests
  })
})
after(async () => {
  await client.close()
  await server.close()
})

test('calls the API with a token, fetched once for several calls', async () => {
  // The reference server's /resource is a protected API that answers who the token belongs to.
  const api = new OrdersApi(server.resourceUrl, createAuthFetch(client, { scope: 'orders:read', origins: [server.url] }))
  const before = server.log.tokenRequests().length
  const [first, second] = await Promise.all([api.whoAmI(), api.whoAmI()])
  assert.equal(first.client_id, 'orders-service')
  assert.equal(second.scope, 'orders:read')
  assert.equal(server.log.tokenRequests().length - before, 1)
})

test('survives a token endpoint that is briefly unavailable', async () => {
  server.faults.add({ type: 'status', status: 503 }, { times: 2 })
  const token = await client.getToken('orders:write', { forceRefresh: true })
  assert.equal(token.scope, 'orders:write')
  assert.equal(server.faults.pending, 0)
})

test('a wrong secret is a typed, final OAuth error', async () => {
  const wrong = new TokenClient({ tokenUrl: server.tokenUrl, clientId: 'orders-service', clientSecret: 'wrong' })
  try {
    await assert.rejects(wrong.getToken('orders:read'), (error: unknown) => {
      assert.ok(error instanceof OAuthError)
      assert.equal(error.error, 'invalid_client')
      assert.equal(error.attempts, 1) // not retried
      return true
    })
  } finally {
    await wrong.close()
  }
})
