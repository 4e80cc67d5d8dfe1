/**
 * The access tokens the server issued, opaque and JWT alike, kept by value until they expire so
 * introspection, revocation and the protected resource can look them up. Opaque tokens are
 * 32 random bytes, base64url (256 bits, checklist item 24).
 */
import { randomBytes } from 'node:crypto'
import type { TokenFormat } from './token-format.js'

/** What the server remembers about an issued token. */
export interface IssuedToken {
  /** The client the token was issued to. */
  readonly clientId: string
  /** The granted scopes. */
  readonly scope: readonly string[]
  /** The `resource` indicators of the request (RFC 8707). */
  readonly resources: readonly string[]
  /** The audience (`aud`): the resources asked for, else the server's `audience` option (default: the issuer). */
  readonly audience: readonly string[]
  /** The format the token was issued in. */
  readonly format: TokenFormat
  /** Epoch ms, by the server's clock; whole seconds for a JWT (its `iat`). */
  readonly issuedAt: number
  /** Epoch ms, by the server's clock; whole seconds for a JWT (its `exp`). */
  readonly expiresAt: number
  /** JWT only: the `jti` claim. */
  readonly jti?: string
  /** JWT only: the `kid` of the key that signed it. */
  readonly kid?: string
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

/** What {@link TokenStore.issue} needs: the grant, and optionally its audience. */
export type StoreGrant = Pick<IssuedToken, 'clientId' | 'scope' | 'resources'> & {
  /** The audience to record; without it, the resources. */
  readonly audience?: readonly string[]
}

/**
 * Issued tokens by value (a JWT is kept as its compact form). Tokens of one format and lifetime
 * expire in the order they were issued, so each such group has its own insertion-ordered map
 * (found by format, then by lifetime in ms) and pruning only ever looks at the oldest entries.
 *
 * @example
 * const token = server.tokens.issue({ clientId: 'svc', scope: ['api:read'], resources: [] }, 3600, Date.now())
 * server.tokens.get(token, Date.now())?.clientId // 'svc'
 */
export class TokenStore {
  readonly #groupsByFormat: Readonly<Record<TokenFormat, Map<number, Map<string, IssuedToken>>>> = {
    opaque: new Map(),
    jwt: new Map(),
  }
  // Every group of either format, for lookups and pruning.
  readonly #groups: Map<string, IssuedToken>[] = []
  readonly #maxTokens: number
  #size = 0
  #nextExpiry = Infinity

  /** @param maxTokens The most tokens remembered; the oldest are forgotten past it. */
  constructor(maxTokens = 100_000) {
    this.#maxTokens = maxTokens
  }

  /**
   * Issues an opaque token valid for `lifetime` seconds from `now` (epoch ms) and remembers it. Its
   * audience is `grant.audience`, else the resources. (The token endpoint mints tokens of either
   * format itself and stores them with {@link TokenStore.add}.)
   *
   * @example
   * const token = store.issue({ clientId: 'svc', scope: ['api:read'], resources: [] }, 3600, clock.now())
   */
  issue(grant: StoreGrant, lifetime: number, now: number): string {
    const token = randomToken()
    const { audience = grant.resources, ...rest } = grant
    this.add(token, { ...rest, audience, format: 'opaque', issuedAt: now, expiresAt: now + lifetime * 1000 })
    return token
  }

  /**
   * Remembers a token minted elsewhere (a JWT, say) until `record.expiresAt`. Expired tokens are
   * pruned first, by `record.issuedAt`.
   *
   * @example
   * const grant = { clientId: 'svc', scope: [], resources: [], audience: [issuer] }
   * store.add(jwt, { ...grant, format: 'jwt', issuedAt, expiresAt, jti, kid })
   */
  add(token: string, record: IssuedToken): void {
    if (record.issuedAt >= this.#nextExpiry) this.prune(record.issuedAt)
    const groups = this.#groupsByFormat[record.format]
    const lifetime = record.expiresAt - record.issuedAt
    let tokens = groups.get(lifetime)
    if (tokens === undefined) {
      tokens = new Map()
      groups.set(lifetime, tokens)
      this.#groups.push(tokens)
    }
    if (!tokens.has(token)) {
      if (this.#size >= this.#maxTokens) this.#forgetOldest()
      this.#size += 1
    }
    tokens.set(token, record)
    if (record.expiresAt < this.#nextExpiry) this.#nextExpiry = record.expiresAt
  }

  /**
   * The record of a token that has not expired at `now` (epoch ms), or `undefined`.
   *
   * @example
   * server.tokens.get(accessToken, Date.now())?.scope // ['api:read']
   */
  get(token: string, now: number): IssuedToken | undefined {
    for (const tokens of this.#groups) {
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
    for (const tokens of this.#groups) {
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
    for (const tokens of this.#groups) {
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

  /**
   * Forgets the tokens that expire first: 1 % of `maxTokens` at a time, so the cost of walking to
   * the front of a Map (past slots deleted before it rehashes) is paid once per batch, not per token.
   * Each group holds one lifetime and so is in expiry order; the batch takes from the group whose
   * front expires first, step by step.
   */
  #forgetOldest(): void {
    const batch = Math.max(1, Math.floor(this.#maxTokens / 100))
    const cursors = this.#groups.map((tokens) => {
      const iterator = tokens.entries()
      return { tokens, iterator, head: iterator.next().value as [string, IssuedToken] | undefined }
    })
    for (let forgotten = 0; forgotten < batch; forgotten++) {
      let oldest: (typeof cursors)[number] | undefined
      for (const cursor of cursors) {
        if (cursor.head !== undefined && (oldest?.head === undefined || cursor.head[1].expiresAt < oldest.head[1].expiresAt)) {
          oldest = cursor
        }
      }
      if (oldest?.head === undefined) return
      oldest.tokens.delete(oldest.head[0])
      this.#size -= 1
      oldest.head = oldest.iterator.next().value as [string, IssuedToken] | undefined
    }
  }

}

