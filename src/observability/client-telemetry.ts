import type * as OtelApiModule from '@opentelemetry/api'
import type { RejectedEntryReason, SharedCacheErrorCode, SharedCacheOperation } from '../shared-cache/shared-cache-error.js'
import {
  attemptChannel,
  cacheChannel,
  discoveryChannel,
  publishCacheLookup,
  refreshFailedChannel,
  sharedCacheChannel,
  tokenChannel,
  type AttemptFollowUp,
  type CacheLookupResult,
  type DiscoveryMessage,
  type RefreshFailedMessage,
  type SharedCacheMessage,
  type TokenAcquisitionMessage,
  type TokenAttemptMessage,
  type TokenClientInfo,
  type TokenRequestOutcome,
  type TokenRequestTrigger,
} from './channels.js'
import { errorFacts, failureOutcome, type ErrorFacts } from './error-facts.js'
import { ATTR, currentInstruments, currentTracer, otelApi, type Instruments, type LookupCounts, type OtelApi } from './otel.js'

type Attributes = OtelApiModule.Attributes
type Span = OtelApiModule.Span
type Tracer = OtelApiModule.Tracer

/** What the client says of itself: anything else on the object (a secret, a key) is never read. */
export interface ClientTelemetryTarget {
  readonly clientId: string
  /** The token URL; only its origin and path are kept. */
  readonly tokenEndpoint?: string | URL | undefined
  /** The `issuer` option; only its origin and path are kept. */
  readonly issuer?: string | URL | undefined
  readonly authMethod?: string | undefined
}

/** Options of {@link ClientTelemetry}; for tests. */
export interface ClientTelemetryOptions {
  /** The OpenTelemetry API to use; `null` behaves as if it were not installed. Default: the installed one, if any. */
  readonly api?: OtelApi | null
}

/** One token request as {@link ClientTelemetry.acquisition} is told of it. */
export interface AcquisitionRequest {
  /** The scope asked for, space-delimited as normalised (`request.requestedScope`); `''` for none. */
  readonly scope: string
  /** Why it starts: the cache's `FetchKind`. */
  readonly trigger: TokenRequestTrigger
}

/** One HTTP request of a token request, reported once what follows it is known. */
export interface AttemptReport {
  /** The attempt number, from 1 (as `withRetries` counts; a DPoP nonce retry keeps its attempt's). */
  readonly attempt: number
  /** How long the request took, in milliseconds (`performance.now()` differences). */
  readonly durationMs: number
  /** The HTTP status, when a response came (taken from the error's `status` when not given). */
  readonly status?: number | undefined
  /** What it failed with; absent for the request that gave the token. */
  readonly error?: unknown
  /** Another request follows: a retry after a backoff, or a DPoP nonce retry at once. */
  readonly reason?: AttemptFollowUp | undefined
  /** With `reason: 'retry'`: the wait before the next attempt, in milliseconds, when known. */
  readonly retryDelayMs?: number | undefined
}

/** What `run` of {@link ClientTelemetry.acquisition} reports its HTTP requests to. */
export interface AcquisitionRecorder {
  /** One HTTP request is over and what follows it is known. */
  attempt(report: AttemptReport): void
}

/** A discovery that ended, for {@link ClientTelemetry.discovery}. */
export interface DiscoveryReport {
  /** How long it took, in milliseconds. */
  readonly durationMs: number
  /** On success: the token endpoint found. */
  readonly tokenEndpoint?: string | URL | undefined
  /** On success: the method chosen. */
  readonly authMethod?: string | undefined
  /** On failure: the error. */
  readonly error?: unknown
}

/** What {@link ClientTelemetry.sharedCacheError} reads of a `SharedCacheError`. */
export interface SharedCacheProblem {
  readonly code: SharedCacheErrorCode
  readonly message: string
  readonly operation?: SharedCacheOperation | undefined
  readonly reason?: RejectedEntryReason | undefined
}

/** The counts a client's status shows, kept whether anything is observed or not (plain integers). */
export interface StatusCounts {
  tokenRequests: number
  tokenRequestFailures: number
  tokenRequestsAborted: number
  httpRequests: number
  retries: number
  dpopNonceRetries: number
  refreshFailures: number
  sharedCacheErrors: number
}

/** The last shared-cache problem, for the status. */
export interface SharedCacheTrouble {
  readonly code: SharedCacheErrorCode
  readonly operation: SharedCacheOperation | undefined
  /** `Date.now()` when it happened. */
  readonly at: number
}

/** What the status says of discovery: its state, and the last failure's error. */
export interface DiscoveryState {
  readonly state: 'pending' | 'discovered' | 'failed'
  readonly error?: unknown
}

/** Counts the HTTP requests of a token request: all that a request nobody observes is told. */
function countAttempt(counts: StatusCounts, report: AttemptReport): void {
  counts.httpRequests++
  if (report.reason === 'retry') counts.retries++
  else if (report.reason === 'dpop-nonce') counts.dpopNonceRetries++
}

/** Origin and path of a URL, never its query, fragment or credentials; `undefined` for what is not one. */
function originAndPath(url: string | URL | undefined): string | undefined {
  if (url === undefined) return undefined
  const parsed = url instanceof URL ? url : URL.canParse(url) ? new URL(url) : undefined
  return parsed === undefined ? undefined : `${parsed.origin}${parsed.pathname}`
}

/** `server.address` and `server.port` of an endpoint (the host without IPv6 brackets, the scheme's port when none is written). */
function serverAttributes(endpoint: string | undefined): Attributes {
  if (endpoint === undefined) return {}
  const url = new URL(endpoint)
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80
  return { [ATTR.serverAddress]: url.hostname.replace(/^\[(.*)\]$/, '$1'), [ATTR.serverPort]: port }
}

/** The attributes of an error: `error.type` (the code, `_OTHER` for what is not a `TokenClientError`) and `oauth2.error`. */
function errorAttributes(facts: ErrorFacts, into: Attributes): Attributes {
  into[ATTR.errorType] = facts.code ?? '_OTHER'
  if (facts.oauthError !== undefined) into[ATTR.oauthError] = facts.oauthError
  return into
}

/**
 * The telemetry of one `TokenClient`: OpenTelemetry metrics and spans when an SDK is registered,
 * `node:diagnostics_channel` messages when anyone subscribes, and nothing at all otherwise.
 *
 * Where the client calls it:
 * - a cache hit: `if (telemetry.observed) telemetry.cacheLookup('hit', scope)` (one property read
 *   when nothing listens);
 * - each token request: `telemetry.acquisition({ scope, trigger }, (recorder) => ...)` around the
 *   request (discovery, attempts, waits), each HTTP request reported with `recorder.attempt(...)`;
 * - `refreshFailed()`, `sharedCacheError()`, `sharedCacheRecovered()`, `discovery()` where those happen.
 *
 * Whether an SDK is registered is checked at construction and at each token request, never on a
 * cache hit: an SDK registered after the client started counts from the client's next token request.
 */
export class ClientTelemetry {
  readonly #api: OtelApi | undefined
  #client: TokenClientInfo
  /** `auth_method`, `server.address`, `server.port`: what every metric carries. */
  #base: Attributes = {}
  #baseKey = ''
  #instruments: Instruments | undefined
  /** The cache-lookup counts of this client's attributes, while a meter provider is registered. */
  #counts: LookupCounts | undefined
  #tracer: Tracer | undefined
  /** The shared cache's breaker, as its events said. */
  #breakerOpen = false
  /**
   * Cache lookups by result, for the status: plain integers, counted whether anything is observed or
   * not. The client's cache-hit path increments `hit` itself.
   */
  readonly lookups: LookupCounts = { hit: 0, stale: 0, miss: 0, 'shared-hit': 0, 'shared-miss': 0 }
  /** The rest of the status's counts. */
  readonly counts: StatusCounts = {
    tokenRequests: 0,
    tokenRequestFailures: 0,
    tokenRequestsAborted: 0,
    httpRequests: 0,
    retries: 0,
    dpopNonceRetries: 0,
    refreshFailures: 0,
    sharedCacheErrors: 0,
  }
  /** The last shared-cache problem, if any. */
  lastSharedCacheTrouble: SharedCacheTrouble | undefined
  /** With `issuer`: how discovery went, as {@link ClientTelemetry.discovery} was told. */
  discoveryState: DiscoveryState = { state: 'pending' }
  /** The recorder of a token request nobody observes: it counts, and does nothing else. */
  readonly #counting: AcquisitionRecorder = { attempt: (report) => countAttempt(this.counts, report) }

  constructor(client: ClientTelemetryTarget, options: ClientTelemetryOptions = {}) {
    this.#api = options.api === null ? undefined : (options.api ?? otelApi)
    this.#client = this.#describe(client)
    this.#sync()
  }

  /** The client as every message names it. */
  get client(): TokenClientInfo {
    return this.#client
  }

  /**
   * Whether a cache lookup has anyone to tell: a meter provider was registered at the last check, or
   * the cache channel has a subscriber. The one check of the cache-hit path.
   */
  get observed(): boolean {
    return this.#counts !== undefined || cacheChannel.hasSubscribers
  }

  /** After discovery: the token endpoint and method are known. */
  update(changes: { readonly tokenEndpoint?: string | URL | undefined; readonly authMethod?: string | undefined }): void {
    const { tokenEndpoint, issuer, authMethod, clientId } = this.#client
    this.#client = this.#describe({
      clientId,
      issuer,
      tokenEndpoint: changes.tokenEndpoint ?? tokenEndpoint,
      authMethod: changes.authMethod ?? authMethod,
    })
    this.#instruments = undefined
    this.#sync()
  }

  /** The shared cache's breaker is open, as its events said. */
  get breakerOpen(): boolean {
    return this.#breakerOpen
  }

  /**
   * A cache lookup other than the client's cache-hit path: counted for the status, and told to
   * {@link ClientTelemetry.cacheLookup} when anything observes it.
   */
  lookup(result: CacheLookupResult, scope: string): void {
    this.lookups[result]++
    if (this.observed) this.cacheLookup(result, scope)
  }

  /**
   * A cache lookup: counted (when a meter provider is registered) and published on the cache
   * channel (when it has a subscriber). Call it only when {@link ClientTelemetry.observed}.
   */
  cacheLookup(result: CacheLookupResult, scope: string): void {
    const counts = this.#counts
    if (counts !== undefined) counts[result]++
    publishCacheLookup(this.#client, scope, result)
  }

  /**
   * Runs one token request (`run`) inside its telemetry: a span `oauth2 token` that is the active
   * span while `run` runs (so undici's HTTP spans are its children), the `TracingChannel`'s events
   * around it, and when it ends the request counter and duration. `run` reports each HTTP request to
   * the recorder it is given. With nothing registered or subscribed, `run` is called as it is.
   */
  acquisition<T>(request: AcquisitionRequest, run: (recorder: AcquisitionRecorder) => Promise<T>): Promise<T> {
    this.#sync()
    const api = this.#api
    const counts = this.counts
    counts.tokenRequests++
    if (this.#tracer === undefined && this.#instruments === undefined && !tokenChannel.hasSubscribers && !attemptChannel.hasSubscribers) {
      return run(this.#counting)
    }
    const startedAt = performance.now()
    const message: TokenAcquisitionMessage = { client: this.#client, scope: request.scope, trigger: request.trigger }
    const span = this.#startSpan(request)
    const recorder = new Recorder(this.#client, request.scope, this.#base, this.#instruments, span, counts)
    const instruments = this.#instruments
    const base = this.#base
    let value: T
    const settle = (error: unknown, failed: boolean): void => {
      const facts = failed ? errorFacts(error) : undefined
      const outcome: TokenRequestOutcome = facts === undefined ? 'success' : failureOutcome(facts.code)
      const durationMs = performance.now() - startedAt
      message.outcome = outcome
      message.attempts = recorder.requests
      message.durationMs = durationMs
      if (facts?.code !== undefined) message.errorCode = facts.code
      if (facts?.oauthError !== undefined) message.oauthError = facts.oauthError
      if (instruments !== undefined) {
        const attributes: Attributes = { ...base, [ATTR.trigger]: request.trigger, [ATTR.outcome]: outcome }
        if (facts !== undefined) errorAttributes(facts, attributes)
        instruments.requests.add(1, attributes)
        instruments.requestDuration.record(durationMs / 1000, attributes)
      }
      if (span !== undefined) endSpan(span, recorder.requests, outcome, facts, error)
    }
    const body = async (): Promise<void> => {
      try {
        value = await run(recorder)
      } catch (error) {
        settle(error, true)
        throw error
      }
      settle(undefined, false)
    }
    // The TracingChannel's `start.runStores()` makes an APM agent's stores active for `body`.
    const traced = (): Promise<void> => (tokenChannel.hasSubscribers ? tokenChannel.tracePromise(body, message) : body())
    const done = span === undefined || api === undefined ? traced() : api.context.with(api.trace.setSpan(api.context.active(), span), traced)
    return done.then(() => value)
  }

  /**
   * A token request failed with `error`: counted for the status (a failure, or one given up). The
   * caller of {@link ClientTelemetry.acquisition} says so, from inside `run`, so that a request
   * nobody observes needs no promise around it.
   */
  requestFailed(error: unknown): void {
    if (failureOutcome(errorFacts(error).code) === 'aborted') this.counts.tokenRequestsAborted++
    else this.counts.tokenRequestFailures++
  }

  /** A background refresh failed: counted, and published on the refresh-failed channel. */
  refreshFailed(error: unknown, scope: string): void {
    this.#sync()
    this.counts.refreshFailures++
    const facts = errorFacts(error)
    this.#instruments?.refreshFailures.add(1, errorAttributes(facts, { ...this.#base }))
    if (refreshFailedChannel.hasSubscribers) {
      refreshFailedChannel.publish({
        client: this.#client,
        scope,
        ...(facts.code !== undefined && { errorCode: facts.code }),
        ...(facts.oauthError !== undefined && { oauthError: facts.oauthError }),
        ...(facts.status !== undefined && { status: facts.status }),
        error,
      } satisfies RefreshFailedMessage)
    }
  }

  /**
   * A shared-cache problem (what `sharedTokenCache()`'s `onError` is given): counted, and published
   * on the shared-cache channel; `SHARED_CACHE_SKIPPED` is the breaker opening.
   */
  sharedCacheError(error: SharedCacheProblem): void {
    this.#sync()
    const opened = error.code === 'SHARED_CACHE_SKIPPED'
    if (opened) this.#breakerOpen = true
    this.counts.sharedCacheErrors++
    this.lastSharedCacheTrouble = { code: error.code, operation: error.operation, at: Date.now() }
    const attributes: Attributes = { [ATTR.errorType]: error.code }
    if (error.operation !== undefined) attributes[ATTR.sharedCacheOperation] = error.operation
    if (error.reason !== undefined) attributes[ATTR.sharedCacheReason] = error.reason
    this.#instruments?.sharedCacheErrors.add(1, attributes)
    if (sharedCacheChannel.hasSubscribers) {
      sharedCacheChannel.publish({
        client: this.#client,
        event: opened ? 'breaker-open' : 'error',
        code: error.code,
        ...(error.operation !== undefined && { operation: error.operation }),
        ...(error.reason !== undefined && { reason: error.reason }),
        breaker: this.#breakerOpen ? 'open' : 'closed',
        message: String(error.message),
      } satisfies SharedCacheMessage)
    }
  }

  /** The shared cache's breaker closed again: the store answered a probe. Published on the shared-cache channel. */
  sharedCacheRecovered(): void {
    this.#breakerOpen = false
    if (sharedCacheChannel.hasSubscribers) {
      sharedCacheChannel.publish({ client: this.#client, event: 'breaker-closed', breaker: 'closed' } satisfies SharedCacheMessage)
    }
  }

  /**
   * A discovery ended: published on the discovery channel; on success the token endpoint and method
   * it found are this client's from now on (as {@link ClientTelemetry.update}).
   */
  discovery(report: DiscoveryReport): void {
    const failed = 'error' in report && report.error !== undefined
    this.discoveryState = failed ? { state: 'failed', error: report.error } : { state: 'discovered' }
    if (!failed && (report.tokenEndpoint !== undefined || report.authMethod !== undefined)) {
      this.update({ tokenEndpoint: report.tokenEndpoint, authMethod: report.authMethod })
    }
    if (discoveryChannel.hasSubscribers) {
      const facts = failed ? errorFacts(report.error) : undefined
      const { tokenEndpoint, authMethod } = this.#client
      discoveryChannel.publish({
        client: this.#client,
        outcome: failed ? 'failure' : 'success',
        durationMs: report.durationMs,
        ...(!failed && tokenEndpoint !== undefined && { tokenEndpoint }),
        ...(!failed && authMethod !== undefined && { authMethod }),
        ...(facts?.code !== undefined && { errorCode: facts.code }),
        ...(failed && { error: report.error }),
      } satisfies DiscoveryMessage)
    }
  }

  /** The frozen description of `client`: its four fields, the URLs cut to origin and path. */
  #describe(client: ClientTelemetryTarget): TokenClientInfo {
    const tokenEndpoint = originAndPath(client.tokenEndpoint)
    // An issuer is an identifier compared as written (RFC 8414 §3.3): `https://id.example.com` stays without the `/` a URL adds.
    const parsedIssuer = originAndPath(client.issuer)
    const issuer =
      parsedIssuer !== undefined && typeof client.issuer === 'string' && !client.issuer.endsWith('/') && parsedIssuer === `${new URL(parsedIssuer).origin}/`
        ? parsedIssuer.slice(0, -1)
        : parsedIssuer
    const authMethod = typeof client.authMethod === 'string' ? client.authMethod : undefined
    const info: TokenClientInfo = Object.freeze({
      clientId: String(client.clientId),
      ...(tokenEndpoint !== undefined && { tokenEndpoint }),
      ...(issuer !== undefined && { issuer }),
      ...(authMethod !== undefined && { authMethod }),
    })
    this.#base = Object.freeze({
      ...(authMethod !== undefined && { [ATTR.authMethod]: authMethod }),
      ...serverAttributes(tokenEndpoint ?? issuer),
    })
    this.#baseKey = `${authMethod ?? ''}\n${tokenEndpoint ?? issuer ?? ''}`
    return info
  }

  /** Looks for a registered SDK again: rare events only (a token request, a refresh failure). */
  #sync(): void {
    const api = this.#api
    if (api === undefined) return
    try {
      const instruments = currentInstruments(api)
      if (instruments !== this.#instruments || (instruments !== undefined && this.#counts === undefined)) {
        this.#instruments = instruments
        this.#counts = instruments?.lookupCounts(this.#baseKey, this.#base)
      }
      this.#tracer = currentTracer(api)
    } catch {
      // An SDK that throws is treated as none, rather than failing a token request.
      this.#instruments = this.#counts = this.#tracer = undefined
    }
  }

  #startSpan(request: AcquisitionRequest): Span | undefined {
    const api = this.#api
    const tracer = this.#tracer
    if (api === undefined || tracer === undefined) return undefined
    const attributes: Attributes = { ...this.#base, [ATTR.clientId]: this.#client.clientId, [ATTR.trigger]: request.trigger }
    if (request.scope !== '') attributes[ATTR.scope] = request.scope
    const options: OtelApiModule.SpanOptions = { kind: api.SpanKind.INTERNAL, attributes }
    if (request.trigger === 'refresh') {
      // A background refresh serves no one caller: a trace of its own, linked to the call that set it off.
      options.root = true
      const caller = api.trace.getSpanContext(api.context.active())
      if (caller !== undefined && api.trace.isSpanContextValid(caller)) options.links = [{ context: caller }]
    }
    return tracer.startSpan('oauth2 token', options)
  }
}

/** Ends `span` with what the request came to. An aborted request is not the server's error: its status stays unset. */
function endSpan(span: Span, requests: number, outcome: TokenRequestOutcome, facts: ErrorFacts | undefined, error: unknown): void {
  span.setAttribute(ATTR.attempts, requests)
  span.setAttribute(ATTR.outcome, outcome)
  if (facts !== undefined) {
    span.setAttributes(errorAttributes(facts, {}))
    if (outcome === 'failure') {
      const message = facts.code !== undefined && error instanceof Error ? error.message : facts.code ?? 'error'
      span.setStatus({ code: 2 /* SpanStatusCode.ERROR */, message })
    }
  }
  span.end()
}

/** The recorder of one observed token request: metrics, a span event and a channel message per HTTP request. */
class Recorder implements AcquisitionRecorder {
  requests = 0
  readonly #client: TokenClientInfo
  readonly #scope: string
  readonly #base: Attributes
  readonly #instruments: Instruments | undefined
  readonly #span: Span | undefined
  readonly #counts: StatusCounts

  constructor(
    client: TokenClientInfo,
    scope: string,
    base: Attributes,
    instruments: Instruments | undefined,
    span: Span | undefined,
    counts: StatusCounts,
  ) {
    this.#client = client
    this.#scope = scope
    this.#base = base
    this.#instruments = instruments
    this.#span = span
    this.#counts = counts
  }

  attempt(report: AttemptReport): void {
    this.requests++
    countAttempt(this.#counts, report)
    const failed = report.error !== undefined
    const facts = failed ? errorFacts(report.error) : undefined
    const status = report.status ?? facts?.status
    const outcome = failed ? 'failure' : 'success'
    const instruments = this.#instruments
    if (instruments !== undefined) {
      const attributes: Attributes = { ...this.#base, [ATTR.outcome]: outcome }
      if (status !== undefined) attributes[ATTR.statusCode] = status
      if (facts !== undefined) errorAttributes(facts, attributes)
      instruments.attemptDuration.record(report.durationMs / 1000, attributes)
      if (report.reason === 'retry') instruments.retries.add(1, attributes)
      else if (report.reason === 'dpop-nonce') instruments.dpopNonceRetries.add(1, this.#base)
    }
    if (this.#span !== undefined) {
      const event: Attributes = { [ATTR.attempt]: report.attempt, [ATTR.attemptDuration]: report.durationMs / 1000, [ATTR.outcome]: outcome }
      if (status !== undefined) event[ATTR.statusCode] = status
      if (facts !== undefined) errorAttributes(facts, event)
      if (report.reason !== undefined) event[ATTR.retryReason] = report.reason
      if (report.retryDelayMs !== undefined) event[ATTR.retryDelay] = report.retryDelayMs / 1000
      this.#span.addEvent('oauth2.token.attempt', event)
    }
    if (attemptChannel.hasSubscribers) {
      attemptChannel.publish({
        client: this.#client,
        scope: this.#scope,
        attempt: report.attempt,
        ...(status !== undefined && { status }),
        durationMs: report.durationMs,
        outcome,
        ...(facts?.code !== undefined && { errorCode: facts.code }),
        ...(facts?.oauthError !== undefined && { oauthError: facts.oauthError }),
        ...(report.reason !== undefined && { reason: report.reason }),
        ...(report.retryDelayMs !== undefined && { retryDelayMs: report.retryDelayMs }),
        ...(failed && { error: report.error }),
      } satisfies TokenAttemptMessage)
    }
  }
}
