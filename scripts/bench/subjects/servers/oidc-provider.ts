// oidc-provider with the configuration of test/interop/oidc-provider.test.ts: client credentials
// enabled, opaque tokens, an in-memory adapter.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { exportJWK, generateKeyPair } from 'jose'
import { CLIENT_ID, CLIENT_SECRET, SCOPE, TOKEN_LIFETIME } from '../../config.js'
import { listenOnLoopback } from './listen.js'
import { memoryAdapter } from './oidc-memory-adapter.js'
import type { Server } from './server.js'


interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void
}

export const oidcProvider = {
  kind: 'oidc-provider',
  label: 'oidc-provider 9 (opaque)',
  async start() {
    // @ts-expect-error -- oidc-provider ships no type declarations; the little used here is typed above.
    const { Provider } = (await import('oidc-provider')) as { Provider: unknown }
    const http = createServer()
    const server = await listenOnLoopback(http)
    const { privateKey } = await generateKeyPair('RS256', { extractable: true })
    const signingKey = { ...(await exportJWK(privateKey)), kid: 'bench', alg: 'RS256', use: 'sig' }
    const provider = new (Provider as new (issuer: string, configuration: Record<string, unknown>) => OidcProvider)(server.issuer, {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          token_endpoint_auth_method: 'client_secret_basic',
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
          scope: SCOPE,
        },
      ],
      features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
      scopes: [SCOPE],
      ttl: { ClientCredentials: TOKEN_LIFETIME },
      jwks: { keys: [signingKey] },
      adapter: memoryAdapter(),
    })
    http.on('request', provider.callback())
    return server
  },
} as const satisfies Server
