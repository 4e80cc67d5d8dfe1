// oidc-provider with the configuration of test/interop/oidc-provider.test.ts: client credentials
// enabled, opaque tokens, an in-memory adapter.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { exportJWK, generateKeyPair } from 'jose'
import { CLIENT_ID, CLIENT_SECRET, SCOPE, TOKEN_LIFETIME } from '../../config.js'
import { listenOnLoopback } from './listen.js'
import type { Server } from './server.js'

type Payload = Record<string, unknown>

/** An in-memory adapter that keeps every entry until it expires, as the reference server does. */
function memoryAdapter(): new (model: string) => object {
  const store = new Map<string, { payload: Payload; expiresAt: number }>()
  return class MemoryAdapter {
    readonly #model: string
    constructor(model: string) {
      this.#model = model
    }
    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const expiresAt = expiresIn === undefined ? Infinity : Date.now() + expiresIn * 1000
      store.set(`${this.#model}:${id}`, { payload, expiresAt })
    }
    async find(id: string): Promise<Payload | undefined> {
      const entry = store.get(`${this.#model}:${id}`)
      return entry !== undefined && entry.expiresAt > Date.now() ? entry.payload : undefined
    }
    async findByUid(): Promise<undefined> {
      return undefined
    }
    async findByUserCode(): Promise<undefined> {
      return undefined
    }
    async consume(): Promise<void> {}
    async destroy(id: string): Promise<void> {
      store.delete(`${this.#model}:${id}`)
    }
    async revokeByGrantId(): Promise<void> {}
  }
}

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
