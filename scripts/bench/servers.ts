// The token servers the benchmark runs, each started on 127.0.0.1 with a free port and the same
// client (`bench`, Basic auth, scope `api:read`, tokens for an hour).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import { startReferenceServer, type ReferenceClient } from 'oauth2-client-credentials/server'
import { CLIENT_ID, CLIENT_SECRET, MEMORY_CLIENT_ID, MEMORY_SCOPES, SCOPE, TOKEN_LIFETIME, memoryScope } from './config.js'

export type ServerKind = 'reference-opaque' | 'reference-jwt' | 'oidc-provider' | 'oauth2-mock-server' | 'bare-http'

export interface ServerInfo {
  readonly tokenUrl: string
  readonly issuer: string
  readonly port: number
}

export interface RunningServer extends ServerInfo {
  close(): Promise<void>
}

export interface ServerSetup {
  /** Also register the client of the memory benchmark (reference server only). */
  readonly memoryClient?: boolean
}

export const SERVER_LABELS: Readonly<Record<ServerKind, string>> = {
  'reference-opaque': 'reference server, opaque',
  'reference-jwt': 'reference server, JWT (ES256)',
  'oidc-provider': 'oidc-provider 9 (opaque)',
  'oauth2-mock-server': 'oauth2-mock-server 8 (JWT, ES256)',
  'bare-http': 'bare node:http, fixed JSON (floor)',
}

export function startServer(kind: ServerKind, setup: ServerSetup = {}): Promise<RunningServer> {
  switch (kind) {
    case 'reference-opaque':
      return reference('opaque', setup)
    case 'reference-jwt':
      return reference('jwt', setup)
    case 'oidc-provider':
      return oidcProvider()
    case 'oauth2-mock-server':
      return mockServer()
    case 'bare-http':
      return bareHttp()
  }
}

async function reference(tokenFormat: 'opaque' | 'jwt', setup: ServerSetup): Promise<RunningServer> {
  const clients: ReferenceClient[] = [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scopes: [SCOPE] }]
  if (setup.memoryClient === true) {
    const scopes = Array.from({ length: MEMORY_SCOPES }, (_, index) => memoryScope(index))
    clients.push({ clientId: MEMORY_CLIENT_ID, clientSecret: CLIENT_SECRET, scopes })
  }
  const server = await startReferenceServer({
    clients,
    tokenFormat,
    tokenLifetime: TOKEN_LIFETIME,
    logLimit: 0,
    throttle: false,
  })
  return { tokenUrl: server.tokenUrl, issuer: server.issuer, port: server.port, close: () => server.close() }
}

// ---- oidc-provider: the configuration of test/interop/oidc-provider.test.ts --------------------------

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

async function oidcProvider(): Promise<RunningServer> {
  // @ts-expect-error -- oidc-provider ships no type declarations; the little used here is typed above.
  const { Provider } = (await import('oidc-provider')) as { Provider: unknown }
  const http = await listen(createServer())
  const issuer = origin(http)
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'bench', alg: 'RS256', use: 'sig' }
  const provider = new (Provider as new (issuer: string, configuration: Record<string, unknown>) => OidcProvider)(issuer, {
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
  return { tokenUrl: `${issuer}/token`, issuer, port: port(http), close: () => closeServer(http) }
}

// ---- oauth2-mock-server ------------------------------------------------------------------------------

async function mockServer(): Promise<RunningServer> {
  const { OAuth2Server } = await import('oauth2-mock-server')
  const server = new OAuth2Server()
  await server.issuer.keys.generate('ES256')
  await server.start(0, '127.0.0.1')
  const port = server.address().port
  const issuer = `http://127.0.0.1:${port}`
  return { tokenUrl: `${issuer}/token`, issuer, port, close: () => server.stop() }
}

// ---- The floor: node:http answering a fixed token response -----------------------------------------

/** A token response of the same shape and size as the reference server's. */
export const FIXED_TOKEN_RESPONSE = JSON.stringify({
  access_token: 'q2Yd8vJ3mXkP0aR7tN5wLc1ZbE9sHfUoGiQyT4nVx6M',
  token_type: 'Bearer',
  expires_in: TOKEN_LIFETIME,
  scope: SCOPE,
})

async function bareHttp(): Promise<RunningServer> {
  const length = Buffer.byteLength(FIXED_TOKEN_RESPONSE)
  const http = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': length,
        'cache-control': 'no-store',
        pragma: 'no-cache',
      })
      res.end(FIXED_TOKEN_RESPONSE)
    })
  })
  await listen(http)
  const issuer = origin(http)
  return { tokenUrl: `${issuer}/token`, issuer, port: port(http), close: () => closeServer(http) }
}

// ---- helpers -----------------------------------------------------------------------------------------

function listen(server: Server): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })
}

function port(server: Server): number {
  return (server.address() as AddressInfo).port
}

function origin(server: Server): string {
  return `http://127.0.0.1:${port(server)}`
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()))
    server.closeAllConnections()
  })
}
