// The fault matrix: every way the token endpoint can fail, what TokenClient makes of it, and how many
// requests reached the server. Shared by scripts/soak/fault-matrix-table.ts (which prints the measured
// table for docs/reliability.md) and test/reliability/fault-matrix.test.ts (which asserts each cell).
// It lives here, not under test/, because scripts import nothing from test/: a test may import a
// script's module (and every `npm test` then checks that import), while a script that imports from
// test/ breaks unnoticed when the tests are reorganised.
import { createServer as createHttpServer } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import {
  OAuthError,
  TimeoutError,
  TokenClient,
  TransportError,
  UnexpectedStatusError,
  InvalidResponseError,
  isTokenClientError,
  type AccessToken,
  type Clock,
  type TokenClientError,
  type TokenClientErrorCode,
  type TokenClientOptions,
} from '../../src/index.js'
import { startReferenceServer, type Fault, type FaultOptions, type ReferenceServer, type ReferenceServerOptions } from '../../src/server/index.js'
import { startManglingProxy, type Mangle, type ManglingProxy } from './mangling-proxy.js'

export const CLIENT_ID = 'svc'
/** Every character Basic form-encoding changes, so the matrix runs with a secret that is hard to get right. */
export const CLIENT_SECRET = 's3cr:et% +&=/x'
export const SCOPE = 'api:read'

/** The client's retry settings in every cell, unless the cell says otherwise. Small delays: nothing sleeps long. */
export const MATRIX_RETRY = Object.freeze({ retries: 3, minDelayMs: 1, maxDelayMs: 5, attemptTimeoutMs: 150, deadlineMs: 3_000 })

export type Outcome = 'token' | TokenClientErrorCode

/** What one cell measured. */
export interface CellRun {
  outcome: Outcome
  /** The error's class and the fields that tell what happened, or the token's lifetime. */
  detail: string
  /** HTTP requests the client sent (the error's `attempts`, or retries + 1 for a token). */
  attempts: number
  /** Requests the server (or the proxy in front of it) saw for this call. */
  requests: number
  /** Real time the call took. */
  elapsedMs: number
  /** The deadline the client ran with. */
  deadlineMs: number
  /** Waits the client made on its clock (`Retry-After`), in ms. */
  waitedMs: number[]
  error?: TokenClientError
  token?: AccessToken
  /** Token lifetime as the client computed it (expiresAt − clock at the start), ms. */
  lifetimeMs?: number
  /** Requests that reached a place they must not (a redirect target). */
  strayRequests?: number
}

/** What a cell must show. */
export interface Expected {
  outcome: Outcome
  attempts: number
  requests: number
  /** A short text the run's `detail` must contain. */
  detail?: string
  lifetimeMs?: number
  waitedMs?: number[]
  /** The call must end by this many ms (real time); default: the deadline. */
  withinMs?: number
  /** The call must take at least this long (it really waited for a timeout). */
  atLeastMs?: number
}

export interface Cell {
  group: 'connection' | 'status' | 'body' | 'oauth' | 'redirect'
  /** The fault, as the matrix names it. */
  name: string
  /** How it is injected, for the table. */
  injectedBy: string
  expected: Expected
  run(): Promise<CellRun>
}

interface Env {
  server: ReferenceServer
  proxy: ManglingProxy | undefined
}

interface CellSetup {
  server?: Partial<ReferenceServerOptions>
  /** Put the mangling proxy in front of the server. */
  proxy?: boolean
  faults?: Array<[Fault, FaultOptions?]>
  mangles?: Array<[Mangle, number?]>
  /** Runs before the measured call; requests it makes are not counted. */
  prepare?: (env: Env) => Promise<void>
  client?: Partial<TokenClientOptions>
  scope?: string
  /** Calls made in a row (for caching cells); the run reports the last. */
  calls?: number
}

function describeError(error: TokenClientError): string {
  if (error instanceof OAuthError) {
    return `OAuthError ${error.status} ${error.error}` + (error.retryAfterMs === undefined ? '' : `, retryAfterMs ${error.retryAfterMs}`)
  }
  if (error instanceof UnexpectedStatusError) {
    return `UnexpectedStatusError ${error.status}` + (error.redirectOrigin ? ` to ${error.redirectOrigin}` : '')
  }
  if (error instanceof InvalidResponseError) return `InvalidResponseError: ${error.reason}`
  if (error instanceof TransportError) {
    const code = (error.cause as { code?: unknown } | undefined)?.code
    return `TransportError ${typeof code === 'string' ? code : ''}`.trim()
  }
  if (error instanceof TimeoutError) return `TimeoutError (${error.limit}, ${error.ms} ms)`
  return error.name
}

/**
 * The clock of a cell: it stands at 2026-01-01 00:00:00 UTC (so a `Retry-After` date two seconds
 * later is a wait of 2 s, and a token's lifetime is exact), and `sleep` records the wait and moves
 * time on instead of waiting. The tests' TestClock (test/helpers/test-clock.ts) does the same.
 */
class MatrixClock implements Clock {
  #time = Date.parse('2026-01-01T00:00:00Z')
  readonly sleeps: number[] = []

  now(): number {
    return this.#time
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    this.sleeps.push(ms)
    this.#time += ms
  }
}

/** Calls `getToken` against a fresh server set up as the cell says, and measures. */
async function runWith(setup: CellSetup): Promise<CellRun> {
  const server = await startReferenceServer({
    throttle: false,
    clients: [
      { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scopes: ['api:read', 'api:write'] },
      { clientId: 'no-cc', clientSecret: CLIENT_SECRET, scopes: ['api:read'], grantTypes: ['authorization_code'] },
    ],
    ...setup.server,
  })
  const proxy = setup.proxy ? await startManglingProxy(server.url) : undefined
  const env: Env = { server, proxy }
  const clock = new MatrixClock()
  let retries = 0
  const retry = { ...MATRIX_RETRY, ...(setup.client?.retry || {}), onRetry: () => void retries++ }
  const client = new TokenClient({
    tokenUrl: proxy?.tokenUrl ?? server.tokenUrl,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    clock,
    ...setup.client,
    retry,
  })
  const count = (): number => proxy?.requests ?? server.log.count({ path: '/token' })
  try {
    await setup.prepare?.(env)
    for (const [fault, options] of setup.faults ?? []) server.faults.add(fault, options)
    for (const [mangle, times] of setup.mangles ?? []) proxy?.add(mangle, times)
    const before = count()
    const start = clock.now()
    const started = performance.now()
    let run: CellRun | undefined
    for (let call = 0; call < (setup.calls ?? 1); call++) {
      retries = 0
      try {
        const token = await client.getToken(setup.scope ?? SCOPE)
        const lifetimeMs = token.expiresAt.getTime() - start
        run = {
          outcome: 'token', detail: `token, lifetime ${lifetimeMs / 1000} s`, attempts: retries + 1, requests: 0,
          elapsedMs: 0, deadlineMs: retry.deadlineMs, waitedMs: [], token, lifetimeMs,
        }
      } catch (error) {
        if (!isTokenClientError(error)) throw error
        run = {
          outcome: error.code, detail: describeError(error), attempts: error.attempts, requests: 0,
          elapsedMs: 0, deadlineMs: retry.deadlineMs, waitedMs: [], error,
        }
      }
    }
    const result = run as CellRun
    result.elapsedMs = Math.round(performance.now() - started)
    // A request held by a delay fault may still be on its way to the log; let it land.
    await new Promise((resolve) => setTimeout(resolve, 5))
    result.requests = count() - before
    result.waitedMs = [...clock.sleeps]
    return result
  } finally {
    await client.close()
    await proxy?.close()
    await server.close()
  }
}

/** A port nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
  })
}

async function refused(): Promise<CellRun> {
  const port = await freePort()
  const client = new TokenClient({ tokenUrl: `http://127.0.0.1:${port}/token`, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, retry: MATRIX_RETRY })
  const started = performance.now()
  try {
    await client.getToken(SCOPE)
    throw new Error('a token from a port nothing listens on')
  } catch (error) {
    if (!isTokenClientError(error)) throw error
    return {
      outcome: error.code, detail: describeError(error), attempts: error.attempts, requests: 0,
      elapsedMs: Math.round(performance.now() - started), deadlineMs: MATRIX_RETRY.deadlineMs, waitedMs: [], error,
    }
  } finally {
    await client.close()
  }
}

/** Refused at first; the server comes up on that port during the first backoff. */
async function refusedThenUp(): Promise<CellRun> {
  const port = await freePort()
  let server: Promise<ReferenceServer> | undefined
  let retries = 0
  const retry = {
    ...MATRIX_RETRY, minDelayMs: 250, maxDelayMs: 250,
    onRetry: () => {
      retries++
      server ??= startReferenceServer({ port, clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scopes: [SCOPE] }] })
    },
  }
  const client = new TokenClient({ tokenUrl: `http://127.0.0.1:${port}/token`, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, retry })
  const started = performance.now()
  try {
    const token = await client.getToken(SCOPE)
    const elapsedMs = Math.round(performance.now() - started)
    return {
      outcome: 'token', detail: 'token', attempts: retries + 1, requests: (await server)?.log.count({ path: '/token' }) ?? 0,
      elapsedMs, deadlineMs: retry.deadlineMs, waitedMs: [], token,
    }
  } finally {
    await client.close()
    await (await server)?.close()
  }
}

/** A redirect to a live server elsewhere, which must never be contacted. */
async function redirect(status: number, sameOrigin: boolean): Promise<CellRun> {
  let stray = 0
  const elsewhere = createHttpServer((_req, res) => {
    stray++
    res.end('{}')
  })
  await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve))
  const { port } = elsewhere.address() as AddressInfo
  try {
    const run = await runWith({
      prepare: async ({ server }) => {
        const location = sameOrigin ? `${server.url}/token-moved` : `http://127.0.0.1:${port}/token`
        server.faults.add({ type: 'status', status, headers: { location }, body: '' })
      },
    })
    run.strayRequests = stray
    return run
  } finally {
    elsewhere.closeAllConnections()
    await new Promise((resolve) => elsewhere.close(resolve))
  }
}

const TOKEN_JSON = JSON.stringify({ access_token: 'b7Jc2mQ-opaque-token-from-a-body-fault', token_type: 'Bearer', expires_in: 600 })
const HTML = '<!doctype html><html><body><h1>Service unavailable</h1></body></html>'
const FOREVER = { times: Infinity }
const N = 1 + MATRIX_RETRY.retries

function oauthBody(error: string): string {
  return JSON.stringify({ error, error_description: `the server says ${error}` })
}

/** Every cell of the matrix. */
export const CELLS: readonly Cell[] = [
  // Connection level
  {
    group: 'connection', name: 'refused connection (nothing listening)', injectedBy: 'a closed port',
    expected: { outcome: 'TRANSPORT_ERROR', attempts: N, requests: 0, detail: 'ECONNREFUSED' },
    run: refused,
  },
  {
    group: 'connection', name: 'refused, then the server comes up', injectedBy: 'server started on the port during the first backoff',
    expected: { outcome: 'token', attempts: 2, requests: 1 },
    run: refusedThenUp,
  },
  {
    group: 'connection', name: 'reset before headers, once', injectedBy: "fault `{ type: 'drop' }`",
    expected: { outcome: 'token', attempts: 2, requests: 2 },
    run: () => runWith({ faults: [[{ type: 'drop' }]] }),
  },
  {
    group: 'connection', name: 'reset before headers, every time', injectedBy: "fault `{ type: 'drop' }`, times ∞",
    expected: { outcome: 'TRANSPORT_ERROR', attempts: N, requests: N, detail: 'UND_ERR_SOCKET' },
    run: () => runWith({ faults: [[{ type: 'drop' }, FOREVER]] }),
  },
  {
    group: 'connection', name: 'reset after headers (no body byte), once', injectedBy: 'proxy: headers with Content-Length, then RST',
    expected: { outcome: 'token', attempts: 2, requests: 2 },
    run: () => runWith({ proxy: true, mangles: [[{ type: 'headers-then-reset' }]] }),
  },
  {
    group: 'connection', name: 'reset after headers, every time', injectedBy: 'proxy: headers with Content-Length, then RST',
    expected: { outcome: 'TRANSPORT_ERROR', attempts: N, requests: N, detail: 'UND_ERR_SOCKET' },
    run: () => runWith({ proxy: true, mangles: [[{ type: 'headers-then-reset' }, N]] }),
  },
  {
    group: 'connection', name: 'reset after headers: truncated body (Content-Length, half sent, reset), once', injectedBy: "fault `{ type: 'truncate' }`",
    expected: { outcome: 'token', attempts: 2, requests: 2 },
    run: () => runWith({ faults: [[{ type: 'truncate' }]] }),
  },
  {
    group: 'connection', name: 'reset after headers: truncated body, every time', injectedBy: "fault `{ type: 'truncate' }`, times ∞",
    expected: { outcome: 'TRANSPORT_ERROR', attempts: N, requests: N, detail: 'UND_ERR_SOCKET' },
    run: () => runWith({ faults: [[{ type: 'truncate' }, FOREVER]] }),
  },
  {
    group: 'connection', name: 'truncated chunked body, once', injectedBy: 'proxy: one chunk of half the body, then RST',
    expected: { outcome: 'token', attempts: 2, requests: 2 },
    run: () => runWith({ proxy: true, mangles: [[{ type: 'chunked-truncate' }]] }),
  },
  {
    group: 'connection', name: 'close-delimited body cut short (no Content-Length, clean FIN)', injectedBy: 'proxy: half the body, then FIN',
    // HTTP cannot tell this from a complete body; what arrives is half a JSON document.
    expected: { outcome: 'INVALID_RESPONSE', attempts: 1, requests: 1, detail: 'not a JSON object' },
    run: () => runWith({ proxy: true, mangles: [[{ type: 'close-delimited-short' }]] }),
  },
  {
    group: 'connection', name: 'slow headers past the attempt timeout, once', injectedBy: "fault `{ type: 'delay', ms: 1000 }`",
    expected: { outcome: 'token', attempts: 2, requests: 2, atLeastMs: MATRIX_RETRY.attemptTimeoutMs, withinMs: 1_000 },
    run: () => runWith({ faults: [[{ type: 'delay', ms: 1_000 }]] }),
  },
  {
    group: 'connection', name: 'slow headers within the attempt timeout', injectedBy: "fault `{ type: 'delay', ms: 50 }`",
    expected: { outcome: 'token', attempts: 1, requests: 1, atLeastMs: 50 },
    run: () => runWith({ faults: [[{ type: 'delay', ms: 50 }]] }),
  },
  {
    group: 'connection', name: 'slow headers every time, deadline 400 ms', injectedBy: "fault `{ type: 'delay', ms: 1000 }`, times ∞",
    expected: { outcome: 'TIMEOUT', attempts: 3, requests: 3, detail: 'deadline', atLeastMs: 400, withinMs: 600 },
    run: () => runWith({ faults: [[{ type: 'delay', ms: 1_000 }, FOREVER]], client: { retry: { ...MATRIX_RETRY, deadlineMs: 400 } } }),
  },
  {
    group: 'connection', name: 'slow headers every time, retries run out', injectedBy: "fault `{ type: 'delay', ms: 1000 }`, times ∞",
    expected: { outcome: 'TIMEOUT', attempts: N, requests: N, detail: 'attempt', atLeastMs: N * MATRIX_RETRY.attemptTimeoutMs },
    run: () => runWith({ faults: [[{ type: 'delay', ms: 1_000 }, FOREVER]] }),
  },
  {
    group: 'connection', name: 'slow body past the attempt timeout, once', injectedBy: "fault `{ type: 'delay', ms: 1000, when: 'body' }`",
    expected: { outcome: 'token', attempts: 2, requests: 2, atLeastMs: MATRIX_RETRY.attemptTimeoutMs, withinMs: 1_000 },
    run: () => runWith({ faults: [[{ type: 'delay', ms: 1_000, when: 'body' }]] }),
  },
  {
    group: 'connection', name: 'slow body every time, retries run out', injectedBy: "fault `{ type: 'delay', ms: 1000, when: 'body' }`, times ∞",
    expected: { outcome: 'TIMEOUT', attempts: N, requests: N, detail: 'attempt', atLeastMs: N * MATRIX_RETRY.attemptTimeoutMs },
    run: () => runWith({ faults: [[{ type: 'delay', ms: 1_000, when: 'body' }, FOREVER]] }),
  },
  {
    group: 'connection', name: 'slow body within the attempt timeout', injectedBy: "fault `{ type: 'delay', ms: 50, when: 'body' }`",
    expected: { outcome: 'token', attempts: 1, requests: 1, atLeastMs: 50 },
    run: () => runWith({ faults: [[{ type: 'delay', ms: 50, when: 'body' }]] }),
  },
  {
    group: 'connection', name: 'slow body (proxy), past the attempt timeout, once', injectedBy: 'proxy: headers + half the body, 1 s, the rest',
    expected: { outcome: 'token', attempts: 2, requests: 2, atLeastMs: MATRIX_RETRY.attemptTimeoutMs, withinMs: 1_000 },
    run: () => runWith({ proxy: true, mangles: [[{ type: 'slow-body', ms: 1_000 }]] }),
  },

  // Transient statuses
  ...([500, 502, 503, 504, 408] as const).map((status): Cell => ({
    group: 'status', name: `${status}, once`, injectedBy: `fault \`{ type: 'status', status: ${status} }\`` + (status === 503 ? '' : ', HTML body'),
    expected: { outcome: 'token', attempts: 2, requests: 2 },
    run: () => runWith({
      faults: [[status === 503 ? { type: 'status', status } : { type: 'status', status, body: HTML, contentType: 'text/html' }]],
    }),
  })),
  {
    group: 'status', name: '503 every time (JSON temporarily_unavailable)', injectedBy: "fault `{ type: 'status', status: 503 }`, times ∞",
    expected: { outcome: 'OAUTH_ERROR', attempts: N, requests: N, detail: '503 temporarily_unavailable' },
    run: () => runWith({ faults: [[{ type: 'status', status: 503 }, FOREVER]] }),
  },
  {
    group: 'status', name: '502 every time (HTML page)', injectedBy: "fault `{ type: 'status', status: 502 }` HTML, times ∞",
    expected: { outcome: 'UNEXPECTED_STATUS', attempts: N, requests: N, detail: '502' },
    run: () => runWith({ faults: [[{ type: 'status', status: 502, body: HTML, contentType: 'text/html' }, FOREVER]] }),
  },
  ...([503, 429] as const).flatMap((status): Cell[] => [
    {
      group: 'status', name: `${status} with Retry-After: 2 (seconds)`, injectedBy: `fault \`{ type: 'status', status: ${status}, headers: { 'retry-after': '2' } }\``,
      expected: { outcome: 'token', attempts: 2, requests: 2, waitedMs: [2_000] },
      run: () => runWith({ faults: [[{ type: 'status', status, headers: { 'retry-after': '2' } }]] }),
    },
    {
      group: 'status', name: `${status} with Retry-After as an HTTP date (+2 s)`, injectedBy: "`'retry-after': 'Thu, 01 Jan 2026 00:00:02 GMT'`, clock at 00:00:00",
      expected: { outcome: 'token', attempts: 2, requests: 2, waitedMs: [2_000] },
      run: () => runWith({ faults: [[{ type: 'status', status, headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:02 GMT' } }]] }),
    },
  ]),
  {
    group: 'status', name: '429 with Retry-After: 120, over maxRetryAfterMs (30 s)', injectedBy: "`'retry-after': '120'`",
    expected: { outcome: 'OAUTH_ERROR', attempts: 1, requests: 1, detail: 'retryAfterMs 120000', waitedMs: [] },
    run: () => runWith({ faults: [[{ type: 'status', status: 429, headers: { 'retry-after': '120' } }]] }),
  },
  {
    group: 'status', name: '503 with Retry-After: 5, past the 3 s deadline', injectedBy: "`'retry-after': '5'`",
    expected: { outcome: 'OAUTH_ERROR', attempts: 1, requests: 1, detail: 'retryAfterMs 5000', waitedMs: [] },
    run: () => runWith({ faults: [[{ type: 'status', status: 503, headers: { 'retry-after': '5' } }]] }),
  },
  {
    group: 'status', name: '429 from the brute-force throttle (Retry-After ≈ 60 s)', injectedBy: 'real: 5 failed authentications first',
    expected: { outcome: 'OAUTH_ERROR', attempts: 1, requests: 1, detail: '429 invalid_client' },
    run: () => runWith({
      server: { throttle: { maxFailures: 5, windowMs: 60_000 } },
      prepare: async ({ server }) => {
        const wrong = new TokenClient({ tokenUrl: server.tokenUrl, clientId: CLIENT_ID, clientSecret: 'wrong', retry: false })
        for (let i = 0; i < 5; i++) await wrong.getToken(SCOPE).catch(() => {})
        await wrong.close()
      },
    }),
  },
  {
    group: 'status', name: '404 (wrong token URL)', injectedBy: "fault `{ type: 'status', status: 404 }` HTML",
    expected: { outcome: 'UNEXPECTED_STATUS', attempts: 1, requests: 1, detail: '404' },
    run: () => runWith({ faults: [[{ type: 'status', status: 404, body: HTML, contentType: 'text/html' }]] }),
  },
  {
    group: 'status', name: '400 with an HTML page (no OAuth error)', injectedBy: "fault `{ type: 'status', status: 400 }` HTML",
    expected: { outcome: 'UNEXPECTED_STATUS', attempts: 1, requests: 1, detail: '400' },
    run: () => runWith({ faults: [[{ type: 'status', status: 400, body: HTML, contentType: 'text/html' }]] }),
  },

  // Bodies of a 200
  {
    group: 'body', name: '200 with an HTML page', injectedBy: "fault `{ type: 'body', contentType: 'text/html' }`",
    expected: { outcome: 'INVALID_RESPONSE', attempts: 1, requests: 1, detail: 'not a JSON object' },
    run: () => runWith({ faults: [[{ type: 'body', body: HTML, contentType: 'text/html; charset=utf-8' }]] }),
  },
  ...(['text/html', 'application/octet-stream', 'application/xml'] as const).map((contentType): Cell => ({
    group: 'body', name: `a valid token JSON labelled ${contentType}`, injectedBy: "fault `{ type: 'body' }`",
    expected: { outcome: 'INVALID_RESPONSE', attempts: 1, requests: 1, detail: 'not a JSON object' },
    run: () => runWith({ faults: [[{ type: 'body', body: TOKEN_JSON, contentType }]] }),
  })),
  {
    group: 'body', name: 'a valid token JSON labelled text/plain (accepted)', injectedBy: "fault `{ type: 'body', contentType: 'text/plain' }`",
    expected: { outcome: 'token', attempts: 1, requests: 1, lifetimeMs: 600_000 },
    run: () => runWith({ faults: [[{ type: 'body', body: TOKEN_JSON, contentType: 'text/plain' }]] }),
  },
  {
    group: 'body', name: 'a form-encoded token response (accepted)', injectedBy: "fault `{ type: 'body', contentType: 'application/x-www-form-urlencoded' }`",
    expected: { outcome: 'token', attempts: 1, requests: 1, lifetimeMs: 600_000 },
    run: () => runWith({
      faults: [[{ type: 'body', body: 'access_token=b7Jc2mQ-form-token&token_type=Bearer&expires_in=600', contentType: 'application/x-www-form-urlencoded' }]],
    }),
  },
  {
    group: 'body', name: 'a body over the cap (64 KiB, maxResponseBytes 1 KiB)', injectedBy: "fault `{ type: 'body' }`",
    expected: { outcome: 'INVALID_RESPONSE', attempts: 1, requests: 1, detail: 'larger than 1024 bytes' },
    run: () => runWith({
      client: { maxResponseBytes: 1024 },
      faults: [[{ type: 'body', body: JSON.stringify({ access_token: 'x'.repeat(65_536), token_type: 'Bearer' }) }]],
    }),
  },
  ...([
    ['invalid JSON', '{"access_token": "abc", "token_type": '],
    ['an empty body', ''],
    ['a JSON array', '[{"access_token":"abc","token_type":"Bearer"}]'],
    ['JSON null', 'null'],
  ] as const).map(([name, body]): Cell => ({
    group: 'body', name, injectedBy: "fault `{ type: 'body' }`",
    expected: { outcome: 'INVALID_RESPONSE', attempts: 1, requests: 1, detail: 'not a JSON object' },
    run: () => runWith({ faults: [[{ type: 'body', body }]] }),
  })),
  {
    group: 'body', name: 'expires_in as a string ("3600")', injectedBy: "fault `{ type: 'token', fields: { expires_in: '3600' } }`",
    expected: { outcome: 'token', attempts: 1, requests: 1, lifetimeMs: 3_600_000 },
    run: () => runWith({ faults: [[{ type: 'token', fields: { expires_in: '3600' } }]] }),
  },
  {
    group: 'body', name: 'expires_in missing (default lifetime, 5 min)', injectedBy: "fault `{ type: 'token', fields: { expires_in: undefined } }`",
    expected: { outcome: 'token', attempts: 1, requests: 1, lifetimeMs: 300_000 },
    run: () => runWith({ faults: [[{ type: 'token', fields: { expires_in: undefined } }]] }),
  },
  ...([['negative', -1], ['a word', 'an hour'], ['a boolean', true], ['in exponent form', '1e3']] as const).map(([what, value]): Cell => ({
    group: 'body', name: `expires_in ${what} (${JSON.stringify(value)})`, injectedBy: `fault \`{ type: 'token', fields: { expires_in: ${JSON.stringify(value)} } }\``,
    expected: { outcome: 'INVALID_RESPONSE', attempts: 1, requests: 1, detail: 'expires_in' },
    run: () => runWith({ faults: [[{ type: 'token', fields: { expires_in: value } }]] }),
  })),
  {
    group: 'body', name: 'expires_in 0, called twice', injectedBy: "fault `{ type: 'token', fields: { expires_in: 0 } }` ×2",
    // A token already expired is handed to the callers that waited for it, and never cached.
    expected: { outcome: 'token', attempts: 1, requests: 2, lifetimeMs: 0 },
    run: () => runWith({ calls: 2, faults: [[{ type: 'token', fields: { expires_in: 0 } }, { times: 2 }]] }),
  },
  {
    group: 'body', name: 'token_type "bearer" (any case is Bearer)', injectedBy: "fault `{ type: 'token', fields: { token_type: 'bearer' } }`",
    expected: { outcome: 'token', attempts: 1, requests: 1, lifetimeMs: 3_600_000 },
    run: () => runWith({ faults: [[{ type: 'token', fields: { token_type: 'bearer' } }]] }),
  },
  ...(['N_A', 'DPoP', 'mac'] as const).map((tokenType): Cell => ({
    group: 'body', name: `token_type "${tokenType}"`, injectedBy: `fault \`{ type: 'token', fields: { token_type: '${tokenType}' } }\``,
    // A DPoP token to a client without the dpop option: refused, naming the option.
    expected: { outcome: 'INVALID_RESPONSE', attempts: 1, requests: 1, detail: tokenType === 'DPoP' ? 'answers a request without DPoP' : 'is not Bearer' },
    run: () => runWith({ faults: [[{ type: 'token', fields: { token_type: tokenType } }]] }),
  })),
  {
    group: 'body', name: 'token_type missing', injectedBy: "fault `{ type: 'token', fields: { token_type: undefined } }`",
    expected: { outcome: 'INVALID_RESPONSE', attempts: 1, requests: 1, detail: 'token_type' },
    run: () => runWith({ faults: [[{ type: 'token', fields: { token_type: undefined } }]] }),
  },
  {
    group: 'body', name: 'access_token missing', injectedBy: "fault `{ type: 'token', fields: { access_token: undefined } }`",
    expected: { outcome: 'INVALID_RESPONSE', attempts: 1, requests: 1, detail: 'access_token' },
    run: () => runWith({ faults: [[{ type: 'token', fields: { access_token: undefined } }]] }),
  },
  {
    group: 'body', name: '200 carrying an error member', injectedBy: "fault `{ type: 'body', body: '{\"error\":\"invalid_client\"}' }`",
    expected: { outcome: 'OAUTH_ERROR', attempts: 1, requests: 1, detail: '200 invalid_client' },
    run: () => runWith({ faults: [[{ type: 'body', body: oauthBody('invalid_client') }]] }),
  },

  // OAuth errors
  ...([
    ['invalid_request', 400], ['invalid_client', 401], ['invalid_grant', 400], ['unauthorized_client', 400],
    ['unsupported_grant_type', 400], ['invalid_scope', 400], ['invalid_target', 400],
  ] as const).map(([error, status]): Cell => ({
    group: 'oauth', name: `${status} ${error}`, injectedBy: `fault \`{ type: 'status', status: ${status}, body: '{"error":"${error}",...}' }\``,
    expected: { outcome: 'OAUTH_ERROR', attempts: 1, requests: 1, detail: `${status} ${error}` },
    run: () => runWith({ faults: [[{ type: 'status', status, body: oauthBody(error) }]] }),
  })),
  {
    group: 'oauth', name: '401 invalid_client (wrong secret)', injectedBy: 'real: the client has the wrong secret',
    expected: { outcome: 'OAUTH_ERROR', attempts: 1, requests: 1, detail: '401 invalid_client' },
    run: () => runWith({ client: { clientSecret: 'not the secret' } }),
  },
  {
    group: 'oauth', name: '400 invalid_scope (scope not allowed)', injectedBy: 'real: asks for `audit`',
    expected: { outcome: 'OAUTH_ERROR', attempts: 1, requests: 1, detail: '400 invalid_scope' },
    run: () => runWith({ scope: 'audit' }),
  },
  {
    group: 'oauth', name: '400 unauthorized_client (grant not allowed)', injectedBy: 'real: a client without client_credentials',
    expected: { outcome: 'OAUTH_ERROR', attempts: 1, requests: 1, detail: '400 unauthorized_client' },
    run: () => runWith({ client: { clientId: 'no-cc' } }),
  },

  // Redirects
  ...([302, 307, 308] as const).map((status): Cell => ({
    group: 'redirect', name: `${status} to another origin`, injectedBy: `fault \`{ type: 'status', status: ${status}, headers: { location } }\``,
    expected: { outcome: 'UNEXPECTED_STATUS', attempts: 1, requests: 1, detail: `${status} to http://127.0.0.1:` },
    run: () => redirect(status, false),
  })),
  {
    group: 'redirect', name: '301 to the same origin', injectedBy: "fault `{ type: 'status', status: 301, headers: { location } }`",
    expected: { outcome: 'UNEXPECTED_STATUS', attempts: 1, requests: 1, detail: '301' },
    run: () => redirect(301, true),
  },
]

/** Differences between what a cell expects and what a run measured; empty when they agree. */
export function mismatches(cell: Cell, run: CellRun): string[] {
  const problems: string[] = []
  const { expected } = cell
  const check = (what: string, ok: boolean, got: unknown, want: unknown): void => {
    if (!ok) problems.push(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
  }
  check('outcome', run.outcome === expected.outcome, `${run.outcome} (${run.detail})`, expected.outcome)
  check('attempts', run.attempts === expected.attempts, run.attempts, expected.attempts)
  check('requests seen', run.requests === expected.requests, run.requests, expected.requests)
  if (expected.detail !== undefined) check('detail', run.detail.includes(expected.detail), run.detail, expected.detail)
  if (expected.lifetimeMs !== undefined) check('lifetime', run.lifetimeMs === expected.lifetimeMs, run.lifetimeMs, expected.lifetimeMs)
  if (expected.waitedMs !== undefined) check('Retry-After waits', JSON.stringify(run.waitedMs) === JSON.stringify(expected.waitedMs), run.waitedMs, expected.waitedMs)
  const within = expected.withinMs ?? run.deadlineMs
  check('time', run.elapsedMs <= within, `${run.elapsedMs} ms`, `at most ${within} ms`)
  if (expected.atLeastMs !== undefined) check('time', run.elapsedMs >= expected.atLeastMs - 5, `${run.elapsedMs} ms`, `at least ${expected.atLeastMs} ms`)
  if (run.strayRequests !== undefined) check('requests at the redirect target', run.strayRequests === 0, run.strayRequests, 0)
  return problems
}

/** The outcome column of the table. */
export function outcomeText(cell: Cell, run: CellRun): string {
  if (run.outcome === 'token') {
    const lifetime = cell.expected.lifetimeMs === undefined ? '' : ` (lifetime ${(run.lifetimeMs ?? 0) / 1000} s)`
    const calls = cell.expected.requests > 1 && cell.expected.attempts === 1 ? ` on each of ${cell.expected.requests} calls` : ''
    return (run.attempts === 1 ? 'token' : `recovered after ${run.attempts} attempts`) + lifetime + calls
  }
  return (run.attempts <= 1 ? 'at once: ' : `after ${run.attempts} attempts: `) + `\`${run.outcome}\` (${run.detail})`
}
