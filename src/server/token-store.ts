/**
 * The access tokens the server issued, kept until they expire so a later introspection or
 * revocation endpoint can look them up. Tokens are opaque: 32 random bytes, base64url (256 bits,
 * checklist item 24).
 */
import { randomBytes } from 'node:crypto'

/** What the server remembers about an issued token. */
export interface IssuedToken {
  readonly clientId: string
  /** The granted scopes. */
  readonly scope: readonly string[]
  /** The `resource` indicators of the request (RFC 8707). */
  readonly resources: readonly string[]
  /** Epoch ms, by the server's clock. */
  readonly issuedAt: number
  /** Epoch ms, by the server's clock. */
  readonly expiresAt: number
}

const TOKEN_BYTES = 32
// One randomBytes call per 128 tokens instead of one per token.
const POOL_BYTES = TOKEN_BYTES * 128
let pool = Buffer.alloc(0)
let poolOffset = 0

/**
 * A fresh opaque token: 32 bytes from the CSPRNG, base64url without padding (43 characters).
 *
 * @example
 * randomToken() // 'q2Yd8...'
 */
export function randomToken(): string {
  if (poolOffset + TOKEN_BYTES > pool.length) {
    pool = randomBytes(POOL_BYTES)
    poolOffset = 0
  }
  const token = pool.toString('base64url', poolOffset, poolOffset + TOKEN_BYTES)
  pool.fill(0, poolOffset, poolOffset + TOKEN_BYTES)
  poolOffset += TOKEN_BYTES
  return token
}

/**
 * Issued tokens by value. Tokens of one lifetime expire in the order they were issued, so each
 * lifetime has its own insertion-ordered map and pruning only ever looks at the oldest entries.
 *
 * @example
 * const token = server.tokens.issue({ clientId: 'svc', scope: ['api:read'], resources: [] }, 3600, Date.now())
 * server.tokens.get(token, Date.now())?.clientId // 'svc'
 */
export class TokenStore {
  readonly #byLifetime = new Map<number, Map<string, IssuedToken>>()
  #size = 0
  #nextExpiry = Infinity

  /**
   * Issues a token valid for `lifetime` seconds from `now` (epoch ms) and remembers it.
   *
   * @example
   * const token = store.issue({ clientId: 'svc', scope: ['api:read'], resources: [] }, 3600, clock.now())
   */
  issue(grant: Pick<IssuedToken, 'clientId' | 'scope' | 'resources'>, lifetime: number, now: number): string {
    if (now >= this.#nextExpiry) this.prune(now)
    const token = randomToken()
    const record: IssuedToken = { ...grant, issuedAt: now, expiresAt: now + lifetime * 1000 }
    let tokens = this.#byLifetime.get(lifetime)
    if (tokens === undefined) {
      tokens = new Map()
      this.#byLifetime.set(lifetime, tokens)
    }
    tokens.set(token, record)
    this.#size += 1
    if (record.expiresAt < this.#nextExpiry) this.#nextExpiry = record.expiresAt
    return token
  }

  /**
   * The record of a token that has not expired at `now` (epoch ms), or `undefined`.
   *
   * @example
   * server.tokens.get(accessToken, Date.now())?.scope // ['api:read']
   */
  get(token: string, now: number): IssuedToken | undefined {
    for (const tokens of this.#byLifetime.values()) {
      const record = tokens.get(token)
      if (record !== undefined) return record.expiresAt > now ? record : undefined
    }
    return undefined
  }

  /**
   * Forgets a token (for revocation); true when it was known.
   *
   * @example
   * server.tokens.delete(accessToken)
   */
  delete(token: string): boolean {
    for (const tokens of this.#byLifetime.values()) {
      if (tokens.delete(token)) {
        this.#size -= 1
        return true
      }
    }
    return false
  }

  /**
   * How many tokens are remembered, expired ones not yet pruned included.
   *
   * @example
   * server.tokens.size // 3
   */
  get size(): number {
    return this.#size
  }

  /**
   * Forgets every token that has expired at `now` (epoch ms). Issuing calls this as needed.
   *
   * @example
   * server.tokens.prune(Date.now())
   */
  prune(now: number): void {
    let nextExpiry = Infinity
    for (const tokens of this.#byLifetime.values()) {
      for (const [token, record] of tokens) {
        if (record.expiresAt > now) {
          if (record.expiresAt < nextExpiry) nextExpiry = record.expiresAt
          break
        }
        tokens.delete(token)
        this.#size -= 1
      }
    }
    this.#nextExpiry = nextExpiry
  }
}
