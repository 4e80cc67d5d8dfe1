/**
 * What every endpoint of the reference server shares: the registered clients, the issued tokens,
 * the signing keys, the clock and the limits, and the test controls (faults, quirks, the log).
 */
import type { Clock } from '../../clock.js'
import type { ClientAssertionRules } from '../clients/client-assertion.js'
import type { ClientRegistry } from '../clients/client-registry.js'
import type { FailureThrottle } from '../clients/failure-throttle.js'
import type { DpopRules } from '../dpop/dpop-options.js'
import type { FaultScript } from '../test-controls/faults.js'
import type { Quirk } from '../test-controls/quirks.js'
import type { RequestLog } from '../test-controls/request-log.js'
import type { SigningKeys } from '../tokens/signing-keys.js'
import type { TokenFormat } from '../tokens/token-format.js'
import type { TokenStore } from '../tokens/token-store.js'

/** The server's state and settings, as the endpoints see them. */
export interface ServerContext {
  readonly registry: ClientRegistry
  readonly throttle: FailureThrottle | undefined
  readonly tokens: TokenStore
  readonly keys: SigningKeys
  readonly clock: Clock
  /** Seconds. */
  readonly tokenLifetime: number
  readonly tokenFormat: TokenFormat
  readonly maxBodyBytes: number
  /** The issuer identifier, known once the server listens. */
  readonly issuer: string
  /** The token endpoint's URL as the metadata advertises it, `<issuer>/token`. */
  readonly tokenUrl: string
  /** How client assertions (`private_key_jwt`, `client_secret_jwt`) are checked, and their `jti` replay cache. */
  readonly clientAssertions: ClientAssertionRules
  /** How DPoP proofs are checked (RFC 9449): the `dpop` option, the proofs' replay cache and the nonces. */
  readonly dpop: DpopRules
  /** The `aud` of tokens issued without `resource`: the `audience` option, else `[issuer]`. */
  readonly defaultAudience: readonly string[]
  /** Aborted when the server closes: cuts holds (`delay` faults) short. */
  readonly signal: AbortSignal
  readonly faults: FaultScript
  /** The token endpoint's quirks for clients that do not set their own. */
  readonly quirks: readonly Quirk[]
  readonly log: RequestLog
  /**
   * True when the server listens over TLS: the mutual-TLS endpoint aliases exist, and the mutual-TLS
   * methods and certificate-bound tokens with them (RFC 8705).
   */
  readonly mutualTls: boolean
}
