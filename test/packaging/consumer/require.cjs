// Loaded with `require()`, as a CommonJS consumer would: Node's require() of an ES module.
const { TokenClient, isTokenClientError } = require('oauth2-client-credentials')
const { startReferenceServer } = require('oauth2-client-credentials/server')
const { version } = require('oauth2-client-credentials/package.json')

async function main() {
  // RESERVED_SECRET of test/helpers/secrets.ts, which this file cannot import: it runs in a temporary project.
  const secret = 's3cr:et% +&=/x'
  const server = await startReferenceServer({ clients: [{ clientId: 'svc', clientSecret: secret, scopes: ['api:read'] }] })
  const client = new TokenClient({ tokenUrl: server.tokenUrl, clientId: 'svc', clientSecret: secret })
  try {
    const token = await client.getToken('api:read')
    console.log(JSON.stringify({ scope: token.scope, version, isError: isTokenClientError(new Error('x')) }))
  } finally {
    await client.close()
    await server.close()
  }
}
main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
