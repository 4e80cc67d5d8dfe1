/**
 * The access tokens the server issued, opaque and JWT alike, kept by value until they expire so
 * introspection, revocation and the protected resource can look them up, and bounded in number.
 */
import { mintOpaqueToken, type TokenFormat } from './token-format.js'

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
  /**
   * A certificate-bound token (RFC 8705 §3): the `x5t#S256` thumbprint of the client certificate it
   * was issued over, which every request that uses it must present.
   */
  readonly certificateThumbprint?: string
  /**
   * A DPoP-bound token (RFC 9449 §6): the RFC 7638 SHA-256 thumbprint of the key of the proof it
   * was issued with (`cnf.jkt`); the resource takes it only with the `DPoP` scheme and a proof
   * signed by that key.
   */
  readonly dpopJkt?: string
}

/** What {@link TokenStore.issue} needs: the grant, and optionally its audience. */
export type StoreGrant = Pick<IssuedToken, 'clientId' | 'scope' | 'resources' | 'certificateThumbprint' | 'dpopJkt'> & {
  /** The audience to record; without it, the resources. */
  readonly audience?: readonly string[]
}

/**
 * Issued tokens by value (a JWT is kept as its compact form), each until it expires, at most
 * `maxTokens` of them. Tokens of one format and lifetime expire in the order they were issued, so
 * each such group is an insertion-ordered Map and pruning only ever looks at the front of each: it
 * costs what it removes, not what the store holds. (The formats are kept apart because a JWT's
 * times are whole seconds and an opaque token's are not.)
 *
 * @example
 * server.tokens.get(accessToken, Date.now())?.clientId // 'svc'
 */
export class TokenStore {
  // By format, then by lifetime in ms; #groups holds every group, for lookups and pruning.
  readonly #groupsByFormat: Readonly<Record<TokenFormat, Map<number, Map<string, IssuedToken>>>> = {
    opaque: new Map(),
    jwt: new Map(),
  }
  readonly #groups: Map<string, IssuedToken>[] = []
  readonly #maxTokens: number
  #size = 0
  #nextExpiry = Infinity

  /** @param maxTokens The most tokens remembered; the ones expiring first are forgotten past it. */
  constructor(maxTokens = 100_000) {
    this.#maxTokens = maxTokens
  }

  /**
   * A shortcut for tests, never used by the server itself: issues an opaque token valid for
   * `lifetime` seconds from `now` (epoch ms) without a token request, and remembers it. Its audience
   * is `grant.audience`, else the resources. (The token endpoint mints tokens of either format and
   * stores them with {@link TokenStore.add}.)
   *
   * @example
   * const token = server.tokens.issue({ clientId: 'svc', scope: ['api:read'], resources: [] }, 3600, clock.now())
   * await fetch(server.resourceUrl, { headers: { authorization: `Bearer ${token}` } })
   */
  issue(grant: StoreGrant, lifetime: number, now: number): string {
    const { token, record } = mintOpaqueToken(grant, grant.audience ?? grant.resources, lifetime, now)
    this.add(token, record)
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

