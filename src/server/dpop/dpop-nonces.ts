/**
 * Server-provided DPoP nonces (RFC 9449 §8 at the token endpoint, §9 at the protected resource):
 * each of the two keeps its own pair, the current nonce and the one before it. A nonce is 16 random
 * bytes, base64url (NQCHAR, §8.1). The current one is replaced once it is `nonceLifetimeSeconds`
 * old by the server's clock, or when a test rotates it; the one it replaced is still taken until the
 * next rotation, so a client that fetched a nonce just before the change is not refused.
 */
import { randomBytes } from 'node:crypto'
import type { Clock } from '../../clock.js'
import { invalidArgument } from '../../errors/invalid-argument.js'

/** How the nonce of a proof compares with the server's: what `server.log` says of it too. */
export type NonceStanding = 'none' | 'current' | 'previous' | 'stale'

/** A nonce's options when it is rotated by hand (`server.dpop.rotateNonce()`). */
export interface NonceRotation {
  /**
   * Whether the nonce being replaced is still taken (as the previous one) until the next rotation.
   * `false` makes it stale at once, so the very next proof that carries it is answered
   * `use_dpop_nonce`.
   *
   * @default true
   * @example
   * server.dpop.rotateNonce({ keepPrevious: false }) // the nonce a client holds is stale now
   */
  keepPrevious?: boolean
}

/**
 * What a test can see and do with the server's DPoP nonces: `server.dpop`. Reading a nonce
 * rotates it first when it has outlived `nonceLifetimeSeconds`, so it is always what the next
 * answer's `DPoP-Nonce` would say.
 */
export interface DpopControls {
  /**
   * The algorithms DPoP proofs may be signed with (`dpop.algorithms`, in the metadata as
   * `dpop_signing_alg_values_supported` and in the resource's `algs`).
   *
   * @example
   * server.dpop.algorithms.includes('ES256') // true
   */
  readonly algorithms: readonly string[]
  /**
   * The token endpoint's current nonce, the one its `DPoP-Nonce` header sends.
   *
   * @example
   * const proof = await signProof({ htm: 'POST', htu: server.tokenUrl, nonce: server.dpop.nonce })
   */
  readonly nonce: string
  /**
   * The protected resource's current nonce (with `dpop.resourceNonce`), apart from the token endpoint's.
   *
   * @example
   * const proof = await signProof({ htm: 'GET', htu: server.resourceUrl, ath, nonce: server.dpop.resourceNonce })
   */
  readonly resourceNonce: string
  /**
   * Replaces the token endpoint's nonce and returns the new one. The replaced nonce stays valid
   * until the next rotation unless `keepPrevious` is `false`. A bad `options` throws a `TypeError`
   * (`ERR_INVALID_ARG_VALUE`).
   *
   * @example
   * server.dpop.rotateNonce() // mid-run: clients holding the old nonce still pass, once more
   */
  rotateNonce(options?: NonceRotation): string
  /**
   * Replaces the resource's nonce and returns the new one, as {@link DpopControls.rotateNonce}.
   *
   * @example
   * server.dpop.rotateResourceNonce({ keepPrevious: false })
   */
  rotateResourceNonce(options?: NonceRotation): string
}

/**
 * One endpoint's nonces: the current one and the one it replaced.
 *
 * @example
 * const nonces = new DpopNonces(300, clock)
 * nonces.standing(nonces.current()) // 'current'
 */
export class DpopNonces {
  readonly #lifetimeMs: number
  readonly #clock: Clock
  #current: string
  #previous: string | undefined
  #since: number

  /**
   * @param lifetimeSeconds - how long a nonce is current before it is replaced.
   * @param clock - the server's clock.
   */
  constructor(lifetimeSeconds: number, clock: Clock) {
    this.#lifetimeMs = lifetimeSeconds * 1000
    this.#clock = clock
    this.#current = freshNonce()
    this.#since = clock.now()
  }

  /**
   * The current nonce, replaced first when it has outlived its lifetime.
   *
   * @example
   * res.setHeader('dpop-nonce', nonces.current())
   */
  current(): string {
    this.#renew()
    return this.#current
  }

  /**
   * How a proof's `nonce` claim stands: absent (`none`), the current nonce, the previous one, or
   * anything else (`stale`, a value that is not a string included).
   *
   * @example
   * nonces.standing(claims.nonce) // 'previous' right after a rotation
   */
  standing(nonce: unknown): NonceStanding {
    if (nonce === undefined) return 'none'
    this.#renew()
    if (nonce === this.#current) return 'current'
    if (nonce === this.#previous) return 'previous'
    return 'stale'
  }

  /**
   * Makes a fresh nonce current and returns it; the replaced one becomes the previous one, or is
   * dropped with `keepPrevious: false`.
   *
   * @example
   * nonces.rotate({ keepPrevious: false })
   */
  rotate(options: NonceRotation = {}): string {
    if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'must be { keepPrevious? }')
    const { keepPrevious = true } = options
    if (typeof keepPrevious !== 'boolean') throw invalidArgument('options.keepPrevious', 'must be a boolean')
    this.#previous = keepPrevious ? this.#current : undefined
    this.#current = freshNonce()
    this.#since = this.#clock.now()
    return this.#current
  }

  #renew(): void {
    const age = this.#clock.now() - this.#since
    if (age < this.#lifetimeMs) return
    // Two lifetimes without a request: the current nonce is past its turn as the previous one too.
    this.rotate({ keepPrevious: age < 2 * this.#lifetimeMs })
  }
}

function freshNonce(): string {
  return randomBytes(16).toString('base64url')
}
