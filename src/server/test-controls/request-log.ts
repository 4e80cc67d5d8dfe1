/**
 * What the reference server saw: one entry per request, kept so tests can assert on exactly what a
 * client sent. Entries never hold a secret: `client_secret` and `client_assertion` are left out of
 * `params` (of an assertion only its header's `alg` and `kid` are kept), the `Authorization` and
 * `DPoP` headers are never recorded (of a DPoP proof only its `alg` and its key's thumbprint), and
 * `path` has no query string. What the log keeps is
 * bounded per entry and in all (see {@link RequestLogBounds}), so junk requests cannot fill the heap.
 */
import { invalidArgument } from '../../errors/invalid-argument.js'
import type { AssertionHeader } from '../clients/client-assertion.js'
import type { ReferenceAuthMethod } from '../clients/client-authentication.js'
import { MTLS_TOKEN_PATH, TOKEN_PATH } from '../endpoints/paths.js'
import { isCountOrInfinity } from '../option-checks.js'
import type { NonceStanding } from '../dpop/dpop-nonces.js'
import type { DpopFault, Fault } from './faults.js'
import type { Quirk } from './quirks.js'

/** The log as JSON: its entries, oldest first. */
export interface RequestLogJson {
  /** Every entry kept, oldest first. */
  readonly entries: readonly RequestLogEntry[]
}

/** A client certificate as the log keeps it: public data only. */
export interface LoggedCertificate {
  /** The subject, RFC 4514 (`CN=svc,O=Example`), at most 256 characters. */
  readonly subject: string
  /** The `x5t#S256`: base64url of the SHA-256 of the certificate's DER. */
  readonly thumbprint: string
}

/**
 * What the log keeps of a DPoP proof (RFC 9449): public data only, never the proof, its claims'
 * values or the key.
 */
export interface LoggedDpopProof {
  /** The proof header's `alg`, when a string of at most 256 characters, whether or not it verified. */
  readonly alg?: string
  /** The RFC 7638 SHA-256 thumbprint of the proof's `jwk`, once the signature verified with it. */
  readonly jkt?: string
  /**
   * How the proof's `nonce` stood, once every check before the nonce had passed: `none` (no
   * nonce), `current`, `previous` (the one before the last rotation) or `stale` (anything else).
   */
  readonly nonce?: NonceStanding
  /** A DPoP fault the request took (`use-dpop-nonce`, `invalid-dpop-proof`). */
  readonly fault?: DpopFault['type']
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
   * How the request tried to authenticate: a client authentication method, `bearer` or `dpop` for
   * an access token sent to the protected resource with that scheme, `none` also for requests
   * refused before that was looked at.
   */
  readonly authMethod: ReferenceAuthMethod | 'bearer' | 'dpop'
  /** Basic only: true when any part of the Basic credentials changed on form-decoding. */
  readonly basicFormEncoded?: boolean
  /**
   * The claimed client id (from Basic or the body), verified or not; at the protected resource,
   * the client the access token was issued to, when the token is active.
   */
  readonly clientId?: string
  /**
   * `private_key_jwt` and `client_secret_jwt`: the `alg` and `kid` of the assertion's header (each
   * when a string of at most 256 characters), whether or not it verified, so a test can see which
   * key a client used. Never the assertion or any key material.
   */
  readonly clientAssertion?: AssertionHeader
  /**
   * Over TLS, at the mutual-TLS aliases (`/mtls/token`...) and at `/resource`: the client
   * certificate the connection presented, by its subject (RFC 4514, at most 256 characters kept)
   * and its `x5t#S256` thumbprint. Public data: never a key.
   */
  readonly clientCertificate?: LoggedCertificate
  /**
   * At the token endpoint and the resource, for a request with a `DPoP` header: what the server
   * saw of the proof (its `alg`, its key's thumbprint, how its nonce stood) and the DPoP fault it
   * took. Never the proof itself; the `DPoP` header is never recorded.
   */
  readonly dpop?: LoggedDpopProof
  /**
   * The body parameters as decoded, every value kept (empty ones too), WITHOUT `client_secret` or `client_assertion`,
   * and without `token` at introspection and revocation. At the protected resource, the query
   * parameters (without `access_token`). Past the log's per-entry bounds, only the first values
   * (see `droppedParams`).
   */
  readonly params: Record<string, string[]>
  /**
   * Present only when the request sent more than one entry keeps (`maxParamsPerEntry` values or
   * `maxParamBytesPerEntry` bytes, see {@link RequestLogBounds}): how many parameter values were left
   * out of `params`, each value of a repeated parameter counted. What `params` holds is then the
   * first values in the order sent, none of them cut short.
   */
  readonly droppedParams?: number
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
   * Only requests to this path (without the query string). `tokenRequests()` ignores it: its paths are `/token` and `/mtls/token`.
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

/**
 * How much of each request the log keeps, and how much it keeps in all, besides `logLimit` entries.
 * Each is a count or `Infinity`. At the defaults an ordinary request is kept whole, and the log takes
 * about 32 MiB of heap at most however junk the traffic (the bytes it counts include an estimate of
 * what V8 spends on each entry and value).
 */
export interface RequestLogBounds {
  /**
   * Parameter values one entry keeps in `params`, each value of a repeated parameter counted; the
   * rest are left out and counted in `droppedParams`. 0 keeps no parameter.
   *
   * @default 32
   * @example
   * { logBounds: { maxParamsPerEntry: 2_000 } } // a test that sends a huge form and checks all of it
   */
  maxParamsPerEntry: number
  /**
   * UTF-8 bytes of parameter names and values one entry keeps in `params` (a name counted once);
   * the first value that would go past it, and every one after, is left out and counted in
   * `droppedParams`. No value is ever cut short.
   *
   * @default 4096
   * @example
   * { logBounds: { maxParamBytesPerEntry: 65_536 } }
   */
  maxParamBytesPerEntry: number
  /**
   * What all entries together may weigh, in bytes: the UTF-8 bytes of each entry's path, client id
   * and kept parameters, plus an estimate of V8's overhead (160 bytes an entry, 96 a kept value).
   * Past it the oldest entries are forgotten, as past `logLimit`; the newest entry is always kept.
   * Ordinary token requests weigh about 600 bytes, so the default holds some 50,000 of them.
   *
   * @default 33_554_432 (32 MiB)
   * @example
   * { logLimit: Infinity, logBounds: { maxTotalBytes: 256 * 1024 * 1024 } }
   */
  maxTotalBytes: number
}

/** The defaults of {@link RequestLogBounds}. */
export const DEFAULT_LOG_BOUNDS: Readonly<RequestLogBounds> = Object.freeze({
  maxParamsPerEntry: 32,
  maxParamBytesPerEntry: 4096,
  maxTotalBytes: 32 * 1024 * 1024,
})

// What V8 spends beyond the characters, measured on Node 20: an entry object with its fields, and
// per kept value its array slot, property and string headers. Only an estimate, for maxTotalBytes.
const ENTRY_OVERHEAD_BYTES = 160
const VALUE_OVERHEAD_BYTES = 96

/** Appends an entry; only the server calls it. */
export const appendEntry = Symbol('appendEntry')

/** Whether the log keeps entries at all; only the server asks, to skip building entries for a log that keeps none. */
export const isRecording = Symbol('isRecording')

/** A log entry while its request is being handled: the server may still set its answer. */
export type PendingEntry = { -readonly [K in keyof RequestLogEntry]: RequestLogEntry[K] }

/**
 * The requests the server answered, oldest first. It keeps the latest `limit` entries, and only as
 * many as fit `maxTotalBytes`; of each request at most `maxParamsPerEntry` parameter values and
 * `maxParamBytesPerEntry` bytes of them (see {@link RequestLogBounds}). So neither a long benchmark
 * nor a flood of junk grows memory without bound, and an entry that dropped something says so in
 * `droppedParams`.
 *
 * @example
 * const [entry] = server.log.tokenRequests({ clientId: 'svc' })
 * assert.equal(entry?.authMethod, 'client_secret_basic')
 * assert.deepEqual(entry?.params.scope, ['api:read'])
 * assert.equal(entry?.droppedParams, undefined) // nothing was left out
 */
export class RequestLog {
  readonly #limit: number
  readonly #bounds: Readonly<RequestLogBounds>
  // A queue: the entries kept are #entries[#oldest..]; slots before it are cleared, then compacted.
  #entries: (RequestLogEntry | undefined)[] = []
  #weights: number[] = []
  #oldest = 0
  #totalBytes = 0

  /**
   * @param limit - how many entries to keep, a non-negative integer or `Infinity`; 0 records nothing.
   * @param bounds - what each entry and the whole log may hold; each bound left out takes its default.
   * @throws TypeError (`ERR_INVALID_ARG_VALUE`) when a bound is not a count, naming it as `options.logBounds.*`.
   * @example
   * new RequestLog(1_000, { maxParamsPerEntry: 100 })
   */
  constructor(limit = Infinity, bounds: Partial<RequestLogBounds> = {}) {
    if (typeof bounds !== 'object' || bounds === null) {
      throw invalidArgument('options.logBounds', 'must be { maxParamsPerEntry?, maxParamBytesPerEntry?, maxTotalBytes? }')
    }
    const resolved: RequestLogBounds = {
      maxParamsPerEntry: bounds.maxParamsPerEntry ?? DEFAULT_LOG_BOUNDS.maxParamsPerEntry,
      maxParamBytesPerEntry: bounds.maxParamBytesPerEntry ?? DEFAULT_LOG_BOUNDS.maxParamBytesPerEntry,
      maxTotalBytes: bounds.maxTotalBytes ?? DEFAULT_LOG_BOUNDS.maxTotalBytes,
    }
    for (const name of ['maxParamsPerEntry', 'maxParamBytesPerEntry'] as const) {
      if (!isCountOrInfinity(resolved[name])) {
        throw invalidArgument(`options.logBounds.${name}`, 'must be a non-negative integer or Infinity')
      }
    }
    if (!isCountOrInfinity(resolved.maxTotalBytes) || resolved.maxTotalBytes === 0) {
      throw invalidArgument('options.logBounds.maxTotalBytes', 'must be a positive integer or Infinity')
    }
    this.#limit = limit
    this.#bounds = Object.freeze(resolved)
  }

  /**
   * Every entry kept, oldest first (a fresh array on every read).
   *
   * @example
   * assert.equal(server.log.entries.length, 3)
   */
  get entries(): readonly RequestLogEntry[] {
    return this.#entries.slice(this.#oldest) as RequestLogEntry[]
  }

  /**
   * The token-endpoint requests, oldest first, optionally only those of a client id or with a scope:
   * `/token`, and over TLS its mutual-TLS alias `/mtls/token` as well (tell them apart by `path`).
   *
   * @example
   * assert.equal(server.log.tokenRequests({ clientId: 'svc', scope: 'api:read' }).length, 1)
   */
  tokenRequests(filter: RequestLogFilter = {}): RequestLogEntry[] {
    const { path: _ignored, ...rest } = filter
    return this.filter(rest).filter((entry) => entry.path === TOKEN_PATH || entry.path === MTLS_TOKEN_PATH)
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
      ? this.#entries.length - this.#oldest
      : this.filter(filter).length
  }

  /**
   * Forgets every entry.
   *
   * @example
   * beforeEach(() => server.log.clear())
   */
  clear(): void {
    this.#entries = []
    this.#weights = []
    this.#oldest = 0
    this.#totalBytes = 0
  }

  /** @internal False for a log that keeps nothing (`logLimit: 0`); the server's own use. */
  get [isRecording](): boolean {
    return this.#limit > 0
  }

  /**
   * @internal Adds an entry; the server's own use. The entry is bounded in place (its params
   * trimmed, its strings copied) rather than copied whole, because the server may still set its
   * status: a request held by a `delay` fault is logged before it is answered.
   */
  [appendEntry](entry: PendingEntry): void {
    if (this.#limit === 0) return
    const weight = boundEntry(entry, this.#bounds)
    this.#entries.push(entry)
    this.#weights.push(weight)
    this.#totalBytes += weight
    while (
      this.#entries.length - this.#oldest > this.#limit ||
      (this.#totalBytes > this.#bounds.maxTotalBytes && this.#entries.length - this.#oldest > 1)
    ) {
      this.#totalBytes -= this.#weights[this.#oldest] as number
      this.#entries[this.#oldest] = undefined
      this.#oldest++
    }
    // Compacting once half the queue is cleared slots costs each entry one move: O(1) amortized.
    if (this.#oldest >= 1024 && this.#oldest * 2 >= this.#entries.length) {
      this.#entries = this.#entries.slice(this.#oldest)
      this.#weights = this.#weights.slice(this.#oldest)
      this.#oldest = 0
    }
  }

  /** The entries as JSON, for a test's failure output (never a secret or a token). */
  toJSON(): RequestLogJson {
    return { entries: this.entries }
  }
}

/**
 * Trims `entry.params` to the per-entry bounds (noting `droppedParams`), replaces every string the
 * entry keeps by a copy, and returns what the entry weighs for `maxTotalBytes`. The copies matter:
 * a name or value parsed from a body is, in V8, a slice that keeps the whole body alive, so without
 * them a 20-byte client id would hold on to a 16 KB request.
 */
function boundEntry(entry: PendingEntry, bounds: Readonly<RequestLogBounds>): number {
  entry.path = detached(entry.path)
  if (entry.clientId !== undefined) entry.clientId = detached(entry.clientId)
  let weight = ENTRY_OVERHEAD_BYTES + Buffer.byteLength(entry.path) + Buffer.byteLength(entry.clientId ?? '')
  if (entry.clientCertificate !== undefined) {
    const { subject, thumbprint } = entry.clientCertificate
    entry.clientCertificate = { subject: detached(subject.slice(0, 256)), thumbprint: detached(thumbprint) }
    weight += VALUE_OVERHEAD_BYTES + Math.min(Buffer.byteLength(subject), 1024) + thumbprint.length
  }
  if (entry.clientAssertion !== undefined) {
    const { alg, kid } = entry.clientAssertion
    const header: { alg?: string; kid?: string } = {}
    if (alg !== undefined) header.alg = detached(alg)
    if (kid !== undefined) header.kid = detached(kid)
    entry.clientAssertion = header
    weight += VALUE_OVERHEAD_BYTES + Buffer.byteLength(alg ?? '') + Buffer.byteLength(kid ?? '')
  }
  if (entry.dpop !== undefined) {
    const { alg, jkt, nonce, fault } = entry.dpop
    const proof: { -readonly [K in keyof LoggedDpopProof]: LoggedDpopProof[K] } = {}
    if (alg !== undefined) proof.alg = detached(alg)
    if (jkt !== undefined) proof.jkt = detached(jkt)
    if (nonce !== undefined) proof.nonce = nonce
    if (fault !== undefined) proof.fault = fault
    entry.dpop = proof
    weight += VALUE_OVERHEAD_BYTES + Buffer.byteLength(alg ?? '') + (jkt?.length ?? 0)
  }
  const kept: [string, string[]][] = []
  let keptValues = 0
  let keptBytes = 0
  let dropped = 0
  for (const [name, values] of Object.entries(entry.params)) {
    if (dropped > 0) {
      dropped += values.length
      continue
    }
    // How many of this name's values fit; the name's own bytes count with the first.
    let fit = 0
    let bytes = Buffer.byteLength(name)
    while (fit < values.length && keptValues < bounds.maxParamsPerEntry) {
      const withNext = bytes + Buffer.byteLength(values[fit] as string)
      if (keptBytes + withNext > bounds.maxParamBytesPerEntry) break
      bytes = withNext
      fit++
      keptValues++
    }
    dropped += values.length - fit
    if (fit === 0) continue
    // Sized to its values: an array grown by push() reserves room for 17 of them.
    kept.push([detached(name), values.slice(0, fit).map(detached)])
    keptBytes += bytes
  }
  entry.params = Object.fromEntries(kept)
  if (dropped > 0) entry.droppedParams = dropped
  return weight + keptBytes + keptValues * VALUE_OVERHEAD_BYTES
}

/** A copy of `text` that shares no memory with the string it came from (JSON round-trips any string exactly). */
function detached(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string
}

function hasScope(entry: RequestLogEntry, scope: string): boolean {
  const values = entry.params['scope']
  return values !== undefined && values.some((value) => value.split(' ').includes(scope))
}
