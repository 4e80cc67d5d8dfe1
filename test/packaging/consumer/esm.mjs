// Loaded with `import`, as an ES module consumer would.
import { TokenClient, isTokenClientError } from 'oauth2-client-credentials'
import { startReferenceServer } from 'oauth2-client-credentials/server'

// RESERVED_SECRET of test/helpers/secrets.ts, which this file cannot import: it runs in a temporary project.
const secret = 's3cr:et% +&=/x'
const server = await startReferenceServer({ clients: [{ clientId: 'svc', clientSecret: secret, scopes: ['api:read'] }] })
const client = new TokenClient({ tokenUrl: server.tokenUrl, clientId: 'svc', clientSecret: secret })
try {
  const token = await client.getToken('api:read')
  console.log(JSON.stringify({ scope: token.scope, tokenType: token.tokenType, isError: isTokenClientError(new Error('x')) }))
} finally {
  await client.close()
  await server.close()
}
