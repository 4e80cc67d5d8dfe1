// Real OpenTelemetry SDKs, registered globally for one test file (node:test runs each file in its own process).
import { context, metrics, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { MeterProvider, MetricReader, type DataPoint, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { TokenClient, type AccessToken, type TokenClientOptions } from '../../src/index.js'

/** A reader the test collects from when it wants, instead of on a timer. */
class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface MetricsHarness {
  readonly provider: MeterProvider
  /** Every metric of the package's meter, by name. */
  collect(): Promise<Map<string, MetricData>>
  shutdown(): Promise<void>
}

/** Registers a MeterProvider (cumulative temporality) as the global one. */
export function registerMetrics(): MetricsHarness {
  const reader = new CollectingReader()
  const provider = new MeterProvider({ readers: [reader] })
  if (!metrics.setGlobalMeterProvider(provider)) throw new Error('a meter provider is registered already')
  return {
    provider,
    async collect() {
      const { resourceMetrics, errors } = await reader.collect()
      if (errors.length > 0) throw errors[0]
      const found = new Map<string, MetricData>()
      for (const scope of resourceMetrics.scopeMetrics) {
        if (scope.scope.name !== 'oauth2-client-credentials') continue
        for (const metric of scope.metrics) found.set(metric.descriptor.name, metric)
      }
      return found
    },
    async shutdown() {
      metrics.disable()
      await provider.shutdown()
    },
  }
}

export interface TracingHarness {
  readonly exporter: InMemorySpanExporter
  spans(): ReadableSpan[]
  shutdown(): Promise<void>
}

/** Registers a tracer provider with an in-memory exporter, and an AsyncLocalStorage context manager. */
export function registerTracing(): TracingHarness {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const contextManager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(contextManager)
  if (!trace.setGlobalTracerProvider(provider)) throw new Error('a tracer provider is registered already')
  return {
    exporter,
    spans: () => exporter.getFinishedSpans(),
    async shutdown() {
      trace.disable()
      context.disable()
      await provider.shutdown()
    },
  }
}

/** The data points of a sum or histogram, with their attributes. */
export function points<T = number>(metric: MetricData | undefined): Array<DataPoint<T>> {
  if (metric === undefined) return []
  return metric.dataPoints as Array<DataPoint<T>>
}

/** The one point whose attributes include `match`. */
export function pointWith<T = number>(metric: MetricData | undefined, match: Record<string, unknown>): DataPoint<T> | undefined {
  return points<T>(metric).find((point) => Object.entries(match).every(([key, value]) => point.attributes[key] === value))
}

export type { Histogram, MetricData, ReadableSpan }

/**
 * The clients of one test file: `newClient` makes one with the file's defaults (closed by
 * `closeAll`), `got` gets a token and keeps it in `tokens`, for the check that no token appears in
 * what was published.
 */
export function clientsOf(defaults: () => TokenClientOptions): {
  readonly made: TokenClient[]
  readonly tokens: string[]
  newClient(options?: Partial<TokenClientOptions>): TokenClient
  got(client: TokenClient, scope?: string, options?: Parameters<TokenClient['getToken']>[1]): Promise<AccessToken>
  closeAll(): Promise<void>
} {
  const made: TokenClient[] = []
  const tokens: string[] = []
  return {
    made,
    tokens,
    newClient(options = {}) {
      const client = new TokenClient({ ...defaults(), ...options } as TokenClientOptions)
      made.push(client)
      return client
    },
    async got(client, scope, options) {
      const token = await client.getToken(scope, options)
      tokens.push(token.accessToken)
      return token
    },
    async closeAll() {
      await Promise.all(made.splice(0).map((client) => client.close()))
    },
  }
}
