// oidc-provider 9 on loopback for the interop tests: the few parts of it (and of Koa) they use,
// narrowed from an untyped import, and one way to start it with client credentials on, the shared
// in-memory adapter and a generated RS256 signing key (every client's default
// id_token_signed_response_alg wants a provider key for it).
//
// oidc-provider 9 warns "Unsupported runtime" on import under Node 20 (it wants Node 22 LTS).
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
// @ts-expect-error -- oidc-provider ships no type declarations (and @types/oidc-provider is not installed); narrowed below.
import { Provider as UntypedProvider } from 'oidc-provider'
import { memoryAdapter } from '../../scripts/bench/subjects/servers/oidc-memory-adapter.js'

/** The Koa context a middleware in front of oidc-provider sees. */
export interface KoaContext {
  readonly path: string
  /** The request's socket: a TLSSocket over https. */
  readonly socket: IncomingMessage['socket']
  readonly status: number
  get(header: string): string
  /** Set by oidc-provider on its routes. */
  readonly oidc?: { readonly params?: Record<string, unknown>; readonly client?: { readonly clientId: string } }
}

/** An error oidc-provider emits, with the OAuth fields it adds. */
export interface OidcError extends Error {
  readonly error?: string
  readonly error_detail?: string
}

/** A client-credentials token as oidc-provider stores it. */
export interface ClientCredentialsToken {
  readonly clientId: string
  readonly scope?: string
  readonly kind: string
}

/** The parts of an oidc-provider `Provider` the tests use. */
export interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void
  use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void
  on(event: 'server_error' | 'grant.error', listener: (ctx: KoaContext, error: OidcError) => void): void
  readonly ClientCredentials: { find(value: string): Promise<(ClientCredentialsToken & { readonly 'x5t#S256'?: string }) | undefined> }
}

const Provider = UntypedProvider as new (issuer: string, configuration: Record<string, unknown>) => OidcProvider

/** A running oidc-provider. */
export interface RunningOidcProvider {
  readonly provider: OidcProvider
  /** `http://127.0.0.1:<port>` (`https:` with `tls`): the URL it is reached at. */
  readonly issuer: string
  readonly tokenUrl: string
  /** What it reported as `server_error`: a test run should end with none. */
  readonly serverErrors: Error[]
  close(): Promise<void>
}

/** HTTPS for oidc-provider: its certificate and key, and the CA that client certificates chain to. */
export interface OidcProviderTls {
  readonly cert: string
  readonly key: string
  readonly clientCa: string
}

/**
 * Starts oidc-provider on a free loopback port with `clients` and the rest of `configuration`
 * (`scopes`, `ttl`...), client credentials enabled, device interactions off, the in-memory adapter
 * and a generated RS256 signing key. `configure` runs before the first request: add middleware or
 * listeners there. With `tls`, it listens over https, asking every client for a certificate and
 * requiring none (what oidc-provider's mTLS feature reads through `ctx.socket`).
 */
export async function startOidcProvider(
  configuration: Record<string, unknown>,
  configure: (provider: OidcProvider) => void = () => {},
  tls?: OidcProviderTls,
): Promise<RunningOidcProvider> {
  const http =
    tls === undefined
      ? createServer()
      : createHttpsServer({ cert: tls.cert, key: tls.key, ca: [tls.clientCa], requestCert: true, rejectUnauthorized: false })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(0, '127.0.0.1', () => resolve())
  })
  // The issuer must be the URL the provider is reached at, so it is known only once listening.
  const issuer = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${(http.address() as AddressInfo).port}`
  const signingKey = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'interop', alg: 'RS256', use: 'sig' }
  const provider = new Provider(issuer, {
    features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
    jwks: { keys: [signingKey] },
    adapter: memoryAdapter(),
    ...configuration,
  })
  const serverErrors: Error[] = []
  provider.on('server_error', (_ctx, error) => serverErrors.push(error))
  configure(provider)
  http.on('request', provider.callback())
  return {
    provider,
    issuer,
    tokenUrl: `${issuer}/token`,
    serverErrors,
    close: () =>
      new Promise<void>((resolve, reject) => {
        http.close((error) => (error ? reject(error) : resolve()))
        http.closeAllConnections()
      }),
  }
}
