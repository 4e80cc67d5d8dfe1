/**
 * What every endpoint of the reference server shares: the registered clients, the issued tokens,
 * the signing keys, the clock and the limits, plus the shape of a log entry while a request is handled.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Clock } from '../clock.js'
import type { ClientRegistry } from './client-registry.js'
import type { FailureThrottle } from './failure-throttle.js'
import type { FaultScript } from './faults.js'
import type { Quirk } from './quirks.js'
import type { RequestLogEntry } from './request-log.js'
import type { SigningKeys } from './signing-keys.js'
import type { TokenFormat } from './token-format.js'
import type { TokenStore } from './token-store.js'

/** The server's state and settings, as the endpoints see them. */
export interface ServerContext {
  readonly registry: ClientRegistry
  readonly throttle: FailureThrottle | undefined
  readonly tokens: TokenStore
  readonly faults: FaultScript
  readonly keys: SigningKeys
  readonly clock: Clock
  /** Seconds. */
  readonly tokenLifetime: number
  readonly tokenFormat: TokenFormat
  /** The `aud` of tokens issued without `resource`; `undefined` means the issuer. */
  readonly audience: readonly string[] | undefined
  readonly maxBodyBytes: number
  /** The token endpoint's quirks for clients that do not set their own. */
  readonly quirks: readonly Quirk[]
  /** Aborted when the server closes: cuts `delay` faults short. */
  readonly signal: AbortSignal
  /** The issuer identifier, known once the server listens. */
  readonly issuer: string
  /** The `aud` of tokens issued without `resource`: `audience`, else `[issuer]`. */
  readonly defaultAudience: readonly string[]
}

/** A log entry while its request is being handled. */
export type PendingEntry = { -readonly [K in keyof RequestLogEntry]: RequestLogEntry[K] }

/**
 * Handles one request to an endpoint and fills in `entry`. Resolves once the response is written
 * or the connection is gone. `logNow` logs the entry early (for requests held by a `delay` fault).
 *
 * @example
 * const handler: EndpointHandler = async (context, req, res, entry) => { entry.status = 200; res.end() }
 */
export type EndpointHandler = (
  context: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: PendingEntry,
  query: string | undefined,
  logNow: () => void,
) => Promise<void>
