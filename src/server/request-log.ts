/**
 * What the reference server saw: one entry per request, kept so tests can assert on exactly what a
 * client sent. Entries never hold a secret: `client_secret` is left out of `params`, the
 * `Authorization` header is never recorded, and `path` has no query string.
 */
import type { AuthMethod } from './client-authentication.js'
import type { Fault } from './faults.js'
import { TOKEN_PATH } from './paths.js'
import type { Quirk } from './quirks.js'

/** The log as JSON: its entries, oldest first. */
export interface RequestLogJson {
  /** Every entry kept, oldest first. */
  readonly entries: readonly RequestLogEntry[]
}

/** One request the server answered (or dropped). */
export interface RequestLogEntry {
  /** When the request arrived, by the server's clock (epoch ms). */
  readonly at: number
  /** The HTTP method. */
  readonly method: string
  /** The path, without the query string. */
  readonly path: string
  /** The status answered; 0 when a `drop` fault destroyed the socket, or while a `delay` fault holds the request. */
  readonly status: number
  /**
   * How the request tried to authenticate: a client authentication method, `bearer` for an access
   * token sent to the protected resource, `none` also for requests refused before that was looked at.
   */
  readonly authMethod: AuthMethod | 'bearer'
  /** Basic only: true when any part of the Basic credentials changed on form-decoding. */
  readonly basicFormEncoded?: boolean
  /**
   * The claimed client id (from Basic or the body), verified or not; at the protected resource,
   * the client the access token was issued to, when the token is active.
   */
  readonly clientId?: string
  /**
   * The body parameters as decoded, every value kept (empty ones too), WITHOUT `client_secret`,
   * and without `token` at introspection and revocation. At the protected resource, the query
   * parameters (without `access_token`).
   */
  readonly params: Record<string, string[]>
  /** The `error` code answered, if any. */
  readonly error?: string
  /** The type of the fault applied to this request, if any. */
  readonly fault?: Fault['type']
  /**
   * Token endpoint only: the quirks in effect for this request (the claimed client's own, else the
   * server's), in `QUIRKS` order; absent when none were, or when a `status`, `body` or `drop` fault
   * replaced the answer.
   */
  readonly quirks?: readonly Quirk[]
}

/** Narrows {@link RequestLog.tokenRequests}, {@link RequestLog.count} and {@link RequestLog.filter}. */
export interface RequestLogFilter {
  /**
   * Only requests to this path (without the query string). `tokenRequests()` ignores it: its path is `/token`.
   *
   * @default undefined (any path; `/token` for tokenRequests())
   * @example
   * server.log.count({ path: '/resource', clientId: 'svc' })
   */
  path?: string
  /**
   * Only requests claiming this client id.
   *
   * @default undefined (any)
   * @example
   * server.log.tokenRequests({ clientId: 'svc' })
   */
  clientId?: string
  /**
   * Only requests whose `scope` parameter contains this scope token.
   *
   * @default undefined (any)
   * @example
   * server.log.tokenRequests({ scope: 'api:read' })
   */
  scope?: string
}

/** Appends an entry; only the server calls it. */
export const appendEntry = Symbol('appendEntry')

export { TOKEN_PATH } from './paths.js'

/**
 * The requests the server answered, oldest first. It keeps the latest `limit` entries (a ring
 * buffer), so a long benchmark does not grow memory without bound.
 *
 * @example
 * const [entry] = server.log.tokenRequests({ clientId: 'svc' })
 * assert.equal(entry?.authMethod, 'client_secret_basic')
 * assert.deepEqual(entry?.params.scope, ['api:read'])
 */
export class RequestLog {
  readonly #limit: number
  #ring: RequestLogEntry[] = []
  // Where the next entry goes once the ring is full.
  #next = 0

  /**
   * @param limit - how many entries to keep, a non-negative integer or `Infinity`; 0 records nothing.
   */
  constructor(limit = Infinity) {
    this.#limit = limit
  }

  /**
   * Every entry kept, oldest first (a fresh array on every read).
   *
   * @example
   * assert.equal(server.log.entries.length, 3)
   */
  get entries(): readonly RequestLogEntry[] {
    if (this.#ring.length < this.#limit || this.#next === 0) return this.#ring.slice()
    return [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)]
  }

  /**
   * The token-endpoint requests, oldest first, optionally only those of a client id or with a scope.
   *
   * @example
   * assert.equal(server.log.tokenRequests({ clientId: 'svc', scope: 'api:read' }).length, 1)
   */
  tokenRequests(filter: RequestLogFilter = {}): RequestLogEntry[] {
    return this.filter({ ...filter, path: TOKEN_PATH })
  }

  /**
   * The entries of any endpoint, oldest first, narrowed by path, client id and scope (each optional).
   * `scope` matches a `scope` parameter containing that token: in the form body of token requests,
   * in the query string at the protected resource (the scope it was asked to require).
   *
   * @example
   * const refused = server.log.filter({ path: '/resource' }).filter((entry) => entry.status === 401)
   */
  filter(filter: RequestLogFilter = {}): RequestLogEntry[] {
    const { path, clientId, scope } = filter
    return this.entries.filter(
      (entry) =>
        (path === undefined || entry.path === path) &&
        (clientId === undefined || entry.clientId === clientId) &&
        (scope === undefined || hasScope(entry, scope)),
    )
  }

  /**
   * How many entries match: `filter(filter).length`, for assertions on how often a client called.
   *
   * @example
   * assert.equal(server.log.count({ path: '/token', clientId: 'svc' }), 1)
   * assert.equal(server.log.count({ path: '/resource' }), 2)
   * server.log.count() // every entry kept
   */
  count(filter: RequestLogFilter = {}): number {
    return filter.path === undefined && filter.clientId === undefined && filter.scope === undefined
      ? this.#ring.length
      : this.filter(filter).length
  }

  /**
   * Forgets every entry.
   *
   * @example
   * beforeEach(() => server.log.clear())
   */
  clear(): void {
    this.#ring = []
    this.#next = 0
  }

  /** @internal Adds an entry; the server's own use. */
  [appendEntry](entry: RequestLogEntry): void {
    if (this.#ring.length < this.#limit) {
      this.#ring.push(entry)
      return
    }
    if (this.#limit === 0) return
    this.#ring[this.#next] = entry
    this.#next = (this.#next + 1) % this.#limit
  }

  /** The entries as JSON, for a test's failure output (never a secret or a token). */
  toJSON(): RequestLogJson {
    return { entries: this.entries }
  }
}

function hasScope(entry: RequestLogEntry, scope: string): boolean {
  const values = entry.params['scope']
  return values !== undefined && values.some((value) => value.split(' ').includes(scope))
}
