/**
 * The `dpop` option of the reference server (RFC 9449): what shapes its DPoP checks, their
 * defaults, and their validation. DPoP proofs are always accepted, with or without the option; the
 * option sets nonces, windows and algorithms, and makes the server advertise DPoP (the metadata's
 * `dpop_signing_alg_values_supported`, the resource's `DPoP` challenge to a request without credentials).
 */
import type { Clock } from '../../clock.js'
import { invalidArgument } from '../../errors/invalid-argument.js'
import { AssertionReplayCache } from '../clients/assertion-replay-cache.js'
import { PRIVATE_KEY_JWT_ALGORITHMS } from '../clients/client-keys.js'
import { isPositiveInteger } from '../option-checks.js'
import { DpopNonces } from './dpop-nonces.js'

/**
 * The JWS algorithms of DPoP proofs the server can verify: the asymmetric ones it takes for
 * `private_key_jwt` (RFC 7518 §3, RFC 8037 and RFC 9864 for EdDSA and Ed25519). Never `none`,
 * never an HMAC (RFC 9449 §4.2: a proof is signed with a private key).
 *
 * @example
 * DPOP_ALGORITHMS.includes('ES256') // true
 */
export const DPOP_ALGORITHMS: readonly string[] = PRIVATE_KEY_JWT_ALGORITHMS

/** How the reference server checks DPoP proofs (RFC 9449): the `dpop` option of `startReferenceServer`. */
export interface DpopOptions {
  /**
   * Whether the token endpoint requires a server-provided nonce in every proof (RFC 9449 §8):
   * with `'required'`, a proof without the current nonce (or the one before it, just after a
   * rotation) is answered `400 use_dpop_nonce`, and every answer of the token endpoint carries
   * `DPoP-Nonce`. With `'off'` a proof's `nonce` is not looked at (a `use-dpop-nonce` fault still
   * asks for one).
   *
   * @default 'off'
   * @example
   * { dpop: { nonce: 'required' } }
   */
  nonce?: 'off' | 'required'
  /**
   * Whether the protected resource requires a nonce of its own (RFC 9449 §9), apart from the token
   * endpoint's: a DPoP request without it is answered `401` with `WWW-Authenticate: DPoP
   * error="use_dpop_nonce"` and `DPoP-Nonce`, and every answer of the resource carries `DPoP-Nonce`.
   *
   * @default false
   * @example
   * { dpop: { resourceNonce: true } }
   */
  resourceNonce?: boolean
  /**
   * How long a nonce is current, in whole seconds by the server's clock; then it is replaced, and
   * the replaced one is still taken until the next replacement. Applies to both endpoints' nonces.
   *
   * @default 300
   * @example
   * { dpop: { nonce: 'required', nonceLifetimeSeconds: 30 } }
   */
  nonceLifetimeSeconds?: number
  /**
   * How old a proof may be, in whole seconds: its `iat` may be this far in the past (plus
   * `clockSkewSeconds`), by the server's clock (RFC 9449 §4.3 point 11, §11.1).
   *
   * @default 60
   * @example
   * { dpop: { proofLifetimeSeconds: 10 } }
   */
  proofLifetimeSeconds?: number
  /**
   * How far the client's clock may be off, in whole seconds: a proof's `iat` may be this far in
   * the future, and `proofLifetimeSeconds` plus this in the past.
   *
   * @default 15 (as `clientAssertions.clockSkewSeconds`)
   * @example
   * { clock, dpop: { clockSkewSeconds: 0 } } // exact, on a test clock
   */
  clockSkewSeconds?: number
  /**
   * How many proof `jti`s the replay cache keeps (RFC 9449 §11.1), per key thumbprint and `jti`,
   * each until its proof leaves the `iat` window. Only proofs that passed every other check are
   * recorded. Full of `jti`s still in their window, the server answers new proofs `503
   * temporarily_unavailable` with `Retry-After` rather than forget one (which would make a captured
   * proof usable again).
   *
   * @default 100_000
   * @example
   * { dpop: { maxJtis: 1_000_000 } } // a load test with DPoP
   */
  maxJtis?: number
  /**
   * The algorithms proofs may be signed with: a non-empty subset of `ES256`, `ES384`, `ES512`,
   * `EdDSA`, `Ed25519`, `RS256`, `RS384`, `RS512`, `PS256`, `PS384`, `PS512`. Advertised as
   * `dpop_signing_alg_values_supported` and in the resource's `algs`.
   *
   * @default all of them
   * @example
   * { dpop: { algorithms: ['ES256'] } } // a client signing with EdDSA is refused
   */
  algorithms?: string[]
}

/** The defaults of {@link DpopOptions}, the algorithms excepted (all of {@link DPOP_ALGORITHMS}). */
export const DEFAULT_DPOP: Readonly<Required<Omit<DpopOptions, 'algorithms'>>> = Object.freeze({
  nonce: 'off',
  resourceNonce: false,
  nonceLifetimeSeconds: 300,
  proofLifetimeSeconds: 60,
  clockSkewSeconds: 15,
  maxJtis: 100_000,
})

/** The checked `dpop` option, with the replay cache and the nonces, as the server keeps them. */
export interface DpopRules {
  /**
   * True when the `dpop` option was given: the resource then offers a `DPoP` challenge beside the
   * Bearer one to a request without credentials. (The metadata advertises DPoP either way.)
   */
  readonly offeredAtResource: boolean
  readonly nonce: 'off' | 'required'
  readonly resourceNonce: boolean
  /** Seconds. */
  readonly proofLifetimeSeconds: number
  /** Seconds. */
  readonly clockSkewSeconds: number
  readonly algorithms: readonly string[]
  /** The `jti`s of the proofs taken, by key thumbprint. */
  readonly replays: AssertionReplayCache
  /** The token endpoint's nonces. */
  readonly tokenNonces: DpopNonces
  /** The protected resource's nonces. */
  readonly resourceNonces: DpopNonces
}

/**
 * Checks the `dpop` option, fills in the defaults and builds the replay cache and the nonces; a
 * bad value is a `TypeError` (`ERR_INVALID_ARG_VALUE`) naming it.
 *
 * @example
 * const rules = dpopRules({ nonce: 'required' }, clock)
 */
export function dpopRules(options: DpopOptions | undefined, clock: Clock): DpopRules {
  const name = 'options.dpop'
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw invalidArgument(
      name,
      'must be { nonce?, resourceNonce?, nonceLifetimeSeconds?, proofLifetimeSeconds?, clockSkewSeconds?, maxJtis?, algorithms? }',
    )
  }
  const {
    nonce = DEFAULT_DPOP.nonce,
    resourceNonce = DEFAULT_DPOP.resourceNonce,
    nonceLifetimeSeconds = DEFAULT_DPOP.nonceLifetimeSeconds,
    proofLifetimeSeconds = DEFAULT_DPOP.proofLifetimeSeconds,
    clockSkewSeconds = DEFAULT_DPOP.clockSkewSeconds,
    maxJtis = DEFAULT_DPOP.maxJtis,
    algorithms = DPOP_ALGORITHMS,
  } = options ?? {}
  if (nonce !== 'off' && nonce !== 'required') throw invalidArgument(`${name}.nonce`, "must be 'off' or 'required'")
  if (typeof resourceNonce !== 'boolean') throw invalidArgument(`${name}.resourceNonce`, 'must be a boolean')
  if (!isPositiveInteger(nonceLifetimeSeconds)) {
    throw invalidArgument(`${name}.nonceLifetimeSeconds`, 'must be a positive integer number of seconds')
  }
  if (!isPositiveInteger(proofLifetimeSeconds)) {
    throw invalidArgument(`${name}.proofLifetimeSeconds`, 'must be a positive integer number of seconds')
  }
  if (!Number.isSafeInteger(clockSkewSeconds) || clockSkewSeconds < 0) {
    throw invalidArgument(`${name}.clockSkewSeconds`, 'must be a non-negative integer number of seconds')
  }
  if (
    !Array.isArray(algorithms) ||
    algorithms.length === 0 ||
    !algorithms.every((alg) => typeof alg === 'string' && DPOP_ALGORITHMS.includes(alg))
  ) {
    throw invalidArgument(`${name}.algorithms`, `must be a non-empty array of ${DPOP_ALGORITHMS.join(', ')}`)
  }
  return Object.freeze({
    offeredAtResource: options !== undefined,
    nonce,
    resourceNonce,
    proofLifetimeSeconds,
    clockSkewSeconds,
    algorithms: Object.freeze([...new Set(algorithms)]),
    replays: new AssertionReplayCache(maxJtis, clock, `${name}.maxJtis`),
    tokenNonces: new DpopNonces(nonceLifetimeSeconds, clock),
    resourceNonces: new DpopNonces(nonceLifetimeSeconds, clock),
  })
}
