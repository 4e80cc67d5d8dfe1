// oauth2-mock-server with an ES256 key: it signs a JWT per request and checks no credentials.
import type { Server } from './server.js'

export const oauth2MockServer = {
  kind: 'oauth2-mock-server',
  label: 'oauth2-mock-server 8 (JWT, ES256)',
  async start() {
    const { OAuth2Server } = await import('oauth2-mock-server')
    const server = new OAuth2Server()
    await server.issuer.keys.generate('ES256')
    await server.start(0, '127.0.0.1')
    const port = server.address().port
    const issuer = `http://127.0.0.1:${port}`
    return { tokenUrl: `${issuer}/token`, issuer, port, close: () => server.stop() }
  },
} as const satisfies Server
