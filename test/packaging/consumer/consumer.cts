// A CommonJS TypeScript consumer: its imports compile to require(), which TypeScript allows for an
// ES module only under module nodenext (TypeScript 5.8 and later), matching Node's require(esm).
import { TokenClient, type AccessToken } from 'oauth2-client-credentials'
import { startReferenceServer } from 'oauth2-client-credentials/server'

export async function getToken(): Promise<AccessToken> {
  const server = await startReferenceServer({ clients: [{ clientId: 'svc', clientSecret: 's', scopes: ['api:read'] }] })
  const client = new TokenClient({ tokenUrl: server.tokenUrl, clientId: 'svc', clientSecret: 's' })
  try {
    return await client.getToken('api:read')
  } finally {
    await client.close()
    await server.close()
  }
}
