import { TokenClient, type TokenClientOptions } from '../../src/index.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { PLAIN_SECRET, RESERVED_SECRET, SPACE_PLUS_SECRET } from './secrets.js'

export const CLIENT_ID = 'svc'
export const SCOPES = ['api:read', 'api:write', 'audit']

/**
 * A reference server with the standard test client (`svc`, {@link RESERVED_SECRET}), `plain`
 * ({@link SPACE_PLUS_SECRET}) and `no-cc` ({@link PLAIN_SECRET}, not allowed client_credentials), and a
 * factory for clients of `svc`.
 */
export async function startFixture(extra: Partial<Parameters<typeof startReferenceServer>[0]> = {}) {
  const server = await startReferenceServer({
    clients: [
      { clientId: CLIENT_ID, clientSecret: RESERVED_SECRET, scopes: SCOPES },
      { clientId: 'plain', clientSecret: SPACE_PLUS_SECRET, scopes: SCOPES },
      { clientId: 'no-cc', clientSecret: PLAIN_SECRET, scopes: SCOPES, grantTypes: ['authorization_code'] },
    ],
    ...extra,
  })
  const clients: TokenClient[] = []
  const makeClient = (options: Partial<TokenClientOptions> = {}) => {
    const client = new TokenClient({
      tokenUrl: server.tokenUrl,
      clientId: CLIENT_ID,
      clientSecret: RESERVED_SECRET,
      retry: { minDelayMs: 1, maxDelayMs: 5 },
      ...options,
    })
    clients.push(client)
    return client
  }
  const close = async () => {
    await Promise.all(clients.map((client) => client.close()))
    await server.close()
  }
  return { server, makeClient, close, requests: (clientId = CLIENT_ID) => server.log.tokenRequests({ clientId }).length }
}

export type Fixture = Awaited<ReturnType<typeof startFixture>>
export type { ReferenceServer }
