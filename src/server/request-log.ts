/**
 * What the reference server saw: one entry per request, kept so tests can assert on exactly what a
 * client sent. Entries never hold a secret: `client_secret` is left out of `params`, the
 * `Authorization` header is never recorded, and `path` has no query string.
 */
import type { AuthMethod } from './client-authentication.js'
import type { Fault } from './faults.js'

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
  /** How the request tried to authenticate; `none` also for requests refused before that was looked at. */
  readonly authMethod: AuthMethod
  /** Basic only: true when any part of the Basic credentials changed on form-decoding. */
  readonly basicFormEncoded?: boolean
  /** The claimed client id (from Basic or the body), verified or not. */
  readonly clientId?: string
  /** The body parameters as decoded, every value kept (empty ones too), WITHOUT `client_secret`. */
  readonly params: Record<string, string[]>
  /** The `error` code answered, if any. */
  readonly error?: string
  /** The type of the fault applied to this request, if any. */
  readonly fault?: Fault['type']
}

/** Narrows {@link RequestLog.tokenRequests}. */
export interface RequestLogFilter {
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

/** The path of the token endpoint. */
export const TOKEN_PATH = '/token'

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
    const { clientId, scope } = filter
    return this.entries.filter(
      (entry) =>
        entry.path === TOKEN_PATH &&
        (clientId === undefined || entry.clientId === clientId) &&
        (scope === undefined || hasScope(entry, scope)),
    )
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

  [appendEntry](entry: RequestLogEntry): void {
    if (this.#ring.length < this.#limit) {
      this.#ring.push(entry)
      return
    }
    if (this.#limit === 0) return
    this.#ring[this.#next] = entry
    this.#next = (this.#next + 1) % this.#limit
  }

  toJSON(): { entries: readonly RequestLogEntry[] } {
    return { entries: this.entries }
  }
}

function hasScope(entry: RequestLogEntry, scope: string): boolean {
  const values = entry.params['scope']
  return values !== undefined && values.some((value) => value.split(' ').includes(scope))
}
