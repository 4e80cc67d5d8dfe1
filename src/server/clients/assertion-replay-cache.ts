/**
 * The `jti` replay cache of JWT client authentication (RFC 7523 §3 item 7, OpenID Connect Core
 * §9): an assertion's `jti` may be used once while the assertion is valid. A `jti` is recorded
 * only once its assertion has passed every other check (signature, claims), so only a holder of
 * the client's key can add one, and junk assertions cost nothing here. It is kept until its
 * assertion expires (`exp` plus the clock skew) and then forgotten, so the same `jti` may come back
 * in a later assertion. The cache is bounded, as the failure throttle is: at most `maxJtis`
 * entries, each a fixed size whatever the length of the client id and `jti`. When it is full of
 * `jti`s that are all still in use, a new one is refused (`full`) rather than an unexpired one
 * forgotten: forgetting would let one client (or one DPoP key) flush another's `jti`s and make a
 * captured assertion or proof usable again. The caller answers `503` until the oldest expires.
 *
 * DPoP proofs (RFC 9449 §11.1) use the same cache, in an instance of their own: there the owner of
 * a `jti` is the thumbprint of the proof's key instead of a client id, and an entry lives until its
 * proof's `iat` leaves the accepted window.
 */
import { hash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { Clock } from '../../clock.js'
import { invalidArgument } from '../../errors/invalid-argument.js'
import { isPositiveInteger } from '../option-checks.js'

/**
 * What {@link AssertionReplayCache.use} found: the `jti` is new and now recorded, it is in use (a
 * replay), or the cache is full of unexpired `jti`s and took nothing.
 */
export type ReplayCheck = 'recorded' | 'replay' | 'full'

/**
 * The `jti`s of the assertions that authenticated a client, until each assertion expires.
 * Every operation is O(1) amortized.
 *
 * @example
 * const replays = new AssertionReplayCache(100_000, monotonicClock)
 * replays.use('svc', 'a1', Date.now() + 60_000) // 'recorded': first use
 * replays.use('svc', 'a1', Date.now() + 60_000) // 'replay'
 */
export class AssertionReplayCache {
  readonly #clock: Clock
  // Per (client id, jti), by key, when the entry may be forgotten (epoch ms). Only set() makes an
  // entry recent, so the least recent one is the oldest recorded. lru-cache's own TTL is not used,
  // for the throttle's reason (it reads a start time of 0, where test clocks may begin, as "no
  // TTL"); an entry past its time is simply treated as absent, and forgotten from the old end.
  readonly #entries: LRUCache<string, number>
  readonly #max: number

  /**
   * @param maxJtis - how many `jti`s to keep at most; while that many are in use, new ones are
   *   refused (`full`).
   * @param clock - the server's clock.
   * @param optionName - the option that set `maxJtis`, for the `TypeError` of a bad value.
   */
  constructor(maxJtis: number, clock: Clock, optionName = 'options.clientAssertions.maxJtis') {
    if (!isPositiveInteger(maxJtis)) throw invalidArgument(optionName, 'must be a positive integer')
    this.#entries = new LRUCache({ max: maxJtis })
    this.#max = maxJtis
    this.#clock = clock
  }

  /**
   * Records the `jti` of an assertion of `clientId` (for a DPoP proof: of the key thumbprint) that
   * may be used until `validUntil` (epoch ms): `recorded` when it was not in use, `replay` when it
   * is, `full` when every kept `jti` is still in use (nothing recorded: see {@link retryAfterSeconds}).
   *
   * @example
   * const check = replays.use(clientId, jti, (exp + skew) * 1000) // 'recorded' | 'replay' | 'full'
   */
  use(clientId: string, jti: string, validUntil: number): ReplayCheck {
    const now = this.#clock.now()
    this.#forgetExpired(now)
    const key = keyOf(clientId, jti)
    const until = this.#entries.peek(key)
    if (until !== undefined && until > now) return 'replay'
    // Full of jtis in use (the expired ones are gone): lru-cache would forget the oldest, a live one.
    if (until === undefined && this.#entries.size >= this.#max) return 'full'
    this.#entries.set(key, validUntil)
    return 'recorded'
  }

  /**
   * Whole seconds until the oldest kept `jti` expires and a new one can be taken, at least 1: the
   * `Retry-After` of a `full` answer.
   *
   * @example
   * new ServerError(503, 'temporarily_unavailable', '...', { 'retry-after': String(replays.retryAfterSeconds()) })
   */
  retryAfterSeconds(): number {
    const now = this.#clock.now()
    const oldest = this.#entries.rkeys().next()
    const until = oldest.done === true ? now : (this.#entries.peek(oldest.value) as number)
    return Math.max(1, Math.ceil((until - now) / 1000))
  }

  /**
   * How many `jti`s are kept; never more than `maxJtis`.
   *
   * @example
   * assert.ok(replays.size <= 100_000)
   */
  get size(): number {
    this.#forgetExpired(this.#clock.now())
    return this.#entries.size
  }

  // From the oldest entry on, until one that is still valid. Assertions have a bounded lifetime,
  // so the oldest entries are nearly always the first to expire; one that outlives a younger one
  // only delays that one's forgetting, never its end (a past `until` reads as absent anyway).
  #forgetExpired(now: number): void {
    for (;;) {
      const oldest = this.#entries.rkeys().next()
      if (oldest.done === true) return
      if ((this.#entries.peek(oldest.value) as number) > now) return
      this.#entries.delete(oldest.value)
    }
  }
}

/**
 * The key of a (client id, jti) pair: the SHA-256 of both, so every entry costs the same however
 * long they are, two pairs never share a key by concatenation, and no string of the request is
 * kept (a value parsed from a body is a slice that would keep the whole body alive).
 */
function keyOf(clientId: string, jti: string): string {
  return hash('sha256', JSON.stringify([clientId, jti]), 'base64url')
}
