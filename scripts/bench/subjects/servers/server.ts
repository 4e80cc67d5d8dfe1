// What every token server of the benchmark offers: where it listens, and how it stops. Each is
// started on 127.0.0.1 with a free port and the same client (`bench`, Basic auth, scope
// `api:read`, tokens for an hour).
import type { ClientJwkSet } from 'oauth2-client-credentials/server'

export interface ServerInfo {
  readonly tokenUrl: string
  readonly issuer: string
  readonly port: number
}

export interface RunningServer extends ServerInfo {
  close(): Promise<void>
}

export interface ServerSetup {
  /** Also register the client of the memory section (reference server only). */
  readonly memoryClient?: boolean
  /** `expires_in` of the tokens, in seconds (reference server only). @default TOKEN_LIFETIME */
  readonly tokenLifetime?: number
  /** Delay every token response by this long, as a distant identity server would (reference server only). @default 0 */
  readonly tokenDelayMs?: number
  /** More scopes the `bench` client may ask for, beside `api:read` (reference server only). */
  readonly extraScopes?: readonly string[]
  /** Also register the `private_key_jwt` client of section 3b with these public keys (reference server only). */
  readonly jwtClientJwks?: ClientJwkSet
}

/** A token server as the benchmark runs it, in a process of its own (children/server.ts). */
export interface Server {
  readonly kind: string
  readonly label: string
  start(setup: ServerSetup): Promise<RunningServer>
}
