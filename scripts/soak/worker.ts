// The soak's child process (started by scripts/soak/soak.ts, never on its own): a reference server
// with short token lifetimes and random faults, a few TokenClients, and many concurrent callers over
// many scopes, for a bounded time. It writes JSON lines to stdout (samples, then a summary), closes
// everything and then simply returns: the parent checks that the process exits by itself.
//
// Argument: one JSON object, see SoakConfig in soak.ts.
import { createHistogram } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { isTokenClientError, monotonicClock, TimeoutError, TokenClient } from '../../src/index.js'
import { startReferenceServer, type Fault, type IssuedToken, type ReferenceServer } from '../../src/server/index.js'
import type { SoakConfig, SoakSample, SoakSummary } from './soak.js'

const config = JSON.parse(process.argv[2] ?? '{}') as SoakConfig
const SECRET = 'soak:s3cret% +&=/'

const unhandled: string[] = []
const warnings: string[] = []
process.on('unhandledRejection', (reason) => unhandled.push(String(reason)))
process.on('uncaughtException', (error) => unhandled.push(`uncaught: ${String(error)}`))
process.on('warning', (warning) => warnings.push(`${warning.name}: ${warning.message}`))

const emit = (line: SoakSample | SoakSummary): void => void process.stdout.write(JSON.stringify(line) + '\n')
const random = (n: number): number => Math.floor(Math.random() * n)
const pick = <T>(items: readonly T[]): T => items[random(items.length)] as T

const scopes = Array.from({ length: config.scopes }, (_, i) => `s${i}`)
const clientIds = config.lifetimes.map((lifetime) => `svc-${lifetime}s`)
const CHURN_ID = 'churn'
const RETRIES = 3

/** Transient faults only by default: what a real identity server does on a bad day. */
function randomFault(): Fault {
  switch (random(9)) {
    case 0:
      return { type: 'status', status: 503 }
    case 1:
      return { type: 'status', status: 429, headers: { 'retry-after': '1' } }
    case 2:
      return { type: 'drop' }
    case 3:
      return { type: 'delay', ms: 20 + random(300) }
    case 4:
      return { type: 'delay', ms: 1_200 } // past the attempt timeout
    case 5:
      return { type: 'status', status: 502, body: '<html>bad gateway</html>', contentType: 'text/html' }
    case 6:
      return { type: 'truncate' }
    case 7:
      return { type: 'delay', ms: 20 + random(1_200), when: 'body' }
    default:
      return { type: 'token', fields: { token_type: 'bearer' } }
  }
}

async function main(): Promise<void> {
  const server: ReferenceServer = await startReferenceServer({
    throttle: false,
    logLimit: 100_000,
    clients: [
      ...config.lifetimes.map((lifetime, i) => ({
        clientId: clientIds[i] as string,
        clientSecret: SECRET,
        scopes,
        tokenLifetime: lifetime,
      })),
      { clientId: CHURN_ID, clientSecret: SECRET, scopes },
    ],
  })

  // Tokens the server issued to the soaking clients: the count the lifetimes should keep near the minimum.
  let issued = 0
  const add = server.tokens.add.bind(server.tokens)
  server.tokens.add = (token: string, record: IssuedToken) => {
    if (record.clientId !== CHURN_ID) issued++
    add(token, record)
  }
  let tokenRequests = 0
  const drainLog = (): void => {
    tokenRequests += server.log.filter({ path: '/token' }).filter((entry) => entry.clientId !== CHURN_ID).length
    server.log.clear()
  }

  const refreshErrors: Record<string, number> = {}
  const clients = clientIds.map(
    (clientId) =>
      new TokenClient({
        tokenUrl: server.tokenUrl,
        clientId,
        clientSecret: SECRET,
        retry: { retries: RETRIES, minDelayMs: 10, maxDelayMs: 200, attemptTimeoutMs: 1_000, deadlineMs: 5_000 },
        onRefreshError: (error) => {
          refreshErrors[error.code] = (refreshErrors[error.code] ?? 0) + 1
        },
      }),
  )

  const latency = createHistogram()
  const errors: Record<string, number> = {}
  const untyped: string[] = []
  const errorSamples: string[] = []
  const premature: string[] = []
  const seenErrors = new WeakSet<object>()
  let failedFetches = 0
  let calls = 0
  let aborted = 0
  let expiredHandedOut = 0
  let wrongToken = 0
  let churned = 0
  let faultsAdded = 0
  let running = true

  const caller = async (): Promise<void> => {
    while (running) {
      const index = random(clients.length)
      const client = clients[index] as TokenClient
      const scope = pick(scopes)
      // The same scope in the forms callers use; all share one cache entry.
      const input = pick([scope, [scope], `${scope} ${scope}`])
      const abortable = Math.random() < config.abortShare
      const started = performance.now()
      try {
        const token = abortable
          ? await client.getToken(input, { signal: AbortSignal.timeout(random(30)) })
          : await client.getToken(input)
        latency.record(Math.max(1, Math.round((performance.now() - started) * 1000)))
        calls++
        const record = server.tokens.get(token.accessToken, monotonicClock.now())
        if (record === undefined) {
          expiredHandedOut++
        } else if (record.clientId !== clientIds[index] || record.scope.join(' ') !== scope) {
          wrongToken++
        }
      } catch (error) {
        calls++
        if (!isTokenClientError(error)) untyped.push(String(error))
        else if (error.code === 'ABORTED') aborted++
        else {
          errors[error.code] = (errors[error.code] ?? 0) + 1
          // Callers waiting on one request share its error: count the requests that failed too.
          if (!seenErrors.has(error)) {
            seenErrors.add(error)
            failedFetches++
          }
          // Transient failures reach a caller only once retries ran out or the deadline passed.
          if (error.attempts < RETRIES + 1 && !(error instanceof TimeoutError && error.limit === 'deadline')) {
            const retryAfter = (error as { retryAfterMs?: unknown }).retryAfterMs
            // ...or when a Retry-After did not fit in what was left of the deadline.
            if (typeof retryAfter !== 'number') premature.push(`${error.message} (attempts ${error.attempts})`)
          }
          if (errorSamples.length < 5) {
            const cause = (error.cause as { code?: unknown } | undefined)?.code
            errorSamples.push(`${error.message} (attempts ${error.attempts}${typeof cause === 'string' ? `, cause ${cause}` : ''})`)
          }
        }
      }
      await sleep(random(config.pauseMs + 1))
    }
  }

  // A client created and closed every second: construction and close() must leave nothing behind.
  const churn = async (): Promise<void> => {
    while (running) {
      const client = new TokenClient({ tokenUrl: server.tokenUrl, clientId: CHURN_ID, clientSecret: SECRET, retry: false })
      await client.getToken(pick(scopes)).catch(() => {})
      const pending = client.getToken(pick(scopes)).catch(() => {})
      await client.close()
      await pending
      churned++
      await sleep(1_000)
    }
  }

  const faulter = async (): Promise<void> => {
    while (running) {
      await sleep(1_000 / config.faultsPerSecond)
      if (!running) break
      // One cache key (client and scope) per fault, for 1-3 of its requests.
      server.faults.add(randomFault(), { clientId: pick(clientIds), scope: pick(scopes), times: 1 + random(3) })
      faultsAdded++
    }
  }

  const gc = (globalThis as { gc?: () => void }).gc
  const startedAt = performance.now()
  const sampler = async (): Promise<void> => {
    while (running) {
      await sleep(config.sampleEveryMs)
      drainLog()
      gc?.()
      const memory = process.memoryUsage()
      emit({
        type: 'sample',
        atMs: Math.round(performance.now() - startedAt),
        heapUsed: memory.heapUsed,
        rss: memory.rss,
        activeResources: process.getActiveResourcesInfo().length,
        calls,
        issued,
      })
    }
  }

  const loops = [
    ...Array.from({ length: config.callers }, caller),
    churn(),
    faulter(),
    sampler(),
  ]
  await sleep(config.seconds * 1_000)
  running = false
  await Promise.all(loops)
  const durationMs = performance.now() - startedAt
  server.faults.clear()
  drainLog()
  for (const client of clients) await client.close()
  await server.close()
  // Give closed sockets and timers a turn to go, then see what is left holding the process open.
  await sleep(50)
  // stdout and stderr are pipes to the parent: those two handles are expected.
  const activeResources = process.getActiveResourcesInfo().filter((name) => name !== 'PipeWrap' && name !== 'TTYWrap')
  emit({
    type: 'summary',
    durationMs: Math.round(durationMs),
    calls,
    aborted,
    errors,
    errorSamples,
    failedFetches,
    premature,
    untyped,
    unhandled,
    warnings,
    refreshErrors,
    expiredHandedOut,
    wrongToken,
    issued,
    tokenRequests,
    faultsAdded,
    churned,
    latencyUs: {
      p50: latency.percentile(50),
      p99: latency.percentile(99),
      p999: latency.percentile(99.9),
      max: latency.max,
    },
    activeResources,
  })
  // No process.exit(): the parent checks that nothing keeps this process alive.
}

main().catch((error: unknown) => {
  unhandled.push(`main: ${String(error)}`)
  process.stdout.write(JSON.stringify({ type: 'crash', error: String(error) }) + '\n')
  process.exitCode = 1
})
