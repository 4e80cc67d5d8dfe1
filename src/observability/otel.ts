import { createRequire } from 'node:module'
import type * as OtelApiModule from '@opentelemetry/api'
import { PACKAGE_VERSION } from '../version.js'
import type { CacheLookupResult } from './channels.js'

/** The `@opentelemetry/api` module, as the package uses it. */
export type OtelApi = typeof OtelApiModule
type Attributes = OtelApiModule.Attributes

/** The instrumentation scope of every meter and tracer of the package. */
export const INSTRUMENTATION_NAME = 'oauth2-client-credentials'

/**
 * `@opentelemetry/api` when it is installed, else `undefined`: an optional peer dependency, loaded
 * synchronously (it ships CommonJS) so that no call ever waits for it, and never an error without it.
 */
export function loadOtelApi(): OtelApi | undefined {
  try {
    const api = createRequire(import.meta.url)('@opentelemetry/api') as OtelApi
    // A copy too old for the metrics API (before 1.3) is as good as none.
    return typeof api.metrics?.getMeterProvider === 'function' && typeof api.trace?.getTracerProvider === 'function' ? api : undefined
  } catch {
    return undefined
  }
}

/** The API of this process, loaded once. */
export const otelApi: OtelApi | undefined = loadOtelApi()

/** The attribute names, one place for the code and docs/observability.md. */
export const ATTR = {
  authMethod: 'oauth2.auth_method',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  trigger: 'oauth2.token.trigger',
  outcome: 'oauth2.outcome',
  errorType: 'error.type',
  oauthError: 'oauth2.error',
  statusCode: 'http.response.status_code',
  cacheResult: 'oauth2.cache.result',
  sharedCacheOperation: 'oauth2.shared_cache.operation',
  sharedCacheReason: 'oauth2.shared_cache.reason',
  clientId: 'oauth2.client_id',
  scope: 'oauth2.scope',
  attempts: 'oauth2.attempts',
  attempt: 'oauth2.attempt',
  attemptDuration: 'oauth2.attempt.duration',
  retryReason: 'oauth2.retry.reason',
  retryDelay: 'oauth2.retry.delay',
} as const

/** The metric names; see docs/observability.md. */
export const METRIC = {
  requests: 'oauth2.client.token.requests',
  requestDuration: 'oauth2.client.token.request.duration',
  attemptDuration: 'oauth2.client.token.attempt.duration',
  retries: 'oauth2.client.token.retries',
  dpopNonceRetries: 'oauth2.client.dpop.nonce_retries',
  cacheLookups: 'oauth2.client.cache.lookups',
  refreshFailures: 'oauth2.client.refresh.failures',
  sharedCacheErrors: 'oauth2.client.shared_cache.errors',
} as const

/** OpenTelemetry's HTTP duration buckets, in seconds, with 30 s (the default deadline) on top. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30]

const CACHE_RESULTS: readonly CacheLookupResult[] = ['hit', 'stale', 'miss', 'shared-hit', 'shared-miss']

/** Lookups counted in plain integers: the cache-hit path pays an increment, the SDK reads them at collection. */
export type LookupCounts = Record<CacheLookupResult, number>

/** The lookup counts of one attribute set (one endpoint and method), with each result's attributes made once. */
interface LookupBucket {
  readonly counts: LookupCounts
  readonly attributes: Readonly<Record<CacheLookupResult, Attributes>>
}

/** The instruments of one meter provider, shared by every client of the process. */
export interface Instruments {
  readonly requests: OtelApiModule.Counter
  readonly requestDuration: OtelApiModule.Histogram
  readonly attemptDuration: OtelApiModule.Histogram
  readonly retries: OtelApiModule.Counter
  readonly dpopNonceRetries: OtelApiModule.Counter
  readonly refreshFailures: OtelApiModule.Counter
  readonly sharedCacheErrors: OtelApiModule.Counter
  /**
   * The counts of cache lookups for `attributes` (a client's base attributes): one set per attribute
   * set, shared by every client that has it, since an asynchronous counter takes one value per set.
   */
  lookupCounts(key: string, attributes: Attributes): LookupCounts
}

/**
 * The instruments of `provider`, made on first use. Cache lookups are an asynchronous counter: a
 * synchronous `add()` on every cache hit (attribute hashing, a context read, a timestamp) would cost
 * several times the hit itself.
 */
function createInstruments(provider: OtelApiModule.MeterProvider): Instruments {
  const meter = provider.getMeter(INSTRUMENTATION_NAME, PACKAGE_VERSION)
  const counter = (name: string, unit: string, description: string) => meter.createCounter(name, { unit, description })
  const histogram = (name: string, description: string) =>
    meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: DURATION_BUCKETS } })
  const buckets = new Map<string, LookupBucket>()
  const lookups = meter.createObservableCounter(METRIC.cacheLookups, {
    unit: '{lookup}',
    description: 'Token cache lookups, by what they found.',
  })
  lookups.addCallback((observer) => {
    for (const { counts, attributes } of buckets.values()) {
      for (const result of CACHE_RESULTS) if (counts[result] > 0) observer.observe(counts[result], attributes[result])
    }
  })
  return {
    requests: counter(METRIC.requests, '{request}', 'Token requests to the token endpoint, retries included, by how they ended.'),
    requestDuration: histogram(METRIC.requestDuration, 'Duration of token requests, retries and waits included.'),
    attemptDuration: histogram(METRIC.attemptDuration, 'Duration of each HTTP request to the token endpoint.'),
    retries: counter(METRIC.retries, '{retry}', 'Token request attempts retried after a transient failure.'),
    dpopNonceRetries: counter(METRIC.dpopNonceRetries, '{retry}', 'Token requests sent again with the DPoP nonce the server asked for.'),
    refreshFailures: counter(METRIC.refreshFailures, '{failure}', 'Background refreshes that failed (callers kept the valid token).'),
    sharedCacheErrors: counter(METRIC.sharedCacheErrors, '{error}', 'Shared-cache problems; each made a miss, none failed a call.'),
    lookupCounts(key, base) {
      let bucket = buckets.get(key)
      if (bucket === undefined) {
        const attributes = {} as Record<CacheLookupResult, Attributes>
        for (const result of CACHE_RESULTS) attributes[result] = Object.freeze({ ...base, [ATTR.cacheResult]: result })
        bucket = { counts: { hit: 0, stale: 0, miss: 0, 'shared-hit': 0, 'shared-miss': 0 }, attributes }
        buckets.set(key, bucket)
      }
      return bucket.counts
    },
  }
}

const instrumentsByProvider = new WeakMap<OtelApiModule.MeterProvider, Instruments>()

/**
 * The instruments of the global meter provider, or `undefined` while none is registered. The API
 * hands back its own no-op provider then, whose meter is the one no-op meter (`createNoopMeter()`);
 * an SDK's provider gives a meter of its own.
 */
export function currentInstruments(api: OtelApi): Instruments | undefined {
  const provider = api.metrics.getMeterProvider()
  let instruments = instrumentsByProvider.get(provider)
  if (instruments !== undefined) return instruments
  const noopMeter = typeof api.createNoopMeter === 'function' ? api.createNoopMeter() : undefined
  if (provider.getMeter(INSTRUMENTATION_NAME, PACKAGE_VERSION) === noopMeter || provider.constructor?.name === 'NoopMeterProvider') return undefined
  instruments = createInstruments(provider)
  instrumentsByProvider.set(provider, instruments)
  return instruments
}

/** The delegate of the API's proxy provider before any SDK set one: its no-op provider. */
let noopTracerProvider: unknown

/**
 * A tracer of the registered SDK's, or `undefined` while none is registered. The global tracer
 * provider is always the API's `ProxyTracerProvider`; its delegate is the API's no-op provider until
 * an SDK registers one (`trace.setGlobalTracerProvider()`, `NodeTracerProvider.register()`).
 */
export function currentTracer(api: OtelApi): OtelApiModule.Tracer | undefined {
  const provider: OtelApiModule.TracerProvider = api.trace.getTracerProvider()
  const delegate: OtelApiModule.TracerProvider =
    provider instanceof api.ProxyTracerProvider || typeof (provider as Partial<OtelApiModule.ProxyTracerProvider>).getDelegate === 'function'
      ? (provider as OtelApiModule.ProxyTracerProvider).getDelegate()
      : provider
  noopTracerProvider ??= new api.ProxyTracerProvider().getDelegate()
  if (delegate === noopTracerProvider || delegate.constructor?.name === 'NoopTracerProvider') return undefined
  return tracerOf(delegate)
}

const tracersByProvider = new WeakMap<OtelApiModule.TracerProvider, OtelApiModule.Tracer>()

function tracerOf(provider: OtelApiModule.TracerProvider): OtelApiModule.Tracer {
  let tracer = tracersByProvider.get(provider)
  if (tracer === undefined) {
    tracer = provider.getTracer(INSTRUMENTATION_NAME, PACKAGE_VERSION)
    tracersByProvider.set(provider, tracer)
  }
  return tracer
}
