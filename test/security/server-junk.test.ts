// The reference server under junk input: what its request log keeps of each request and in all.
// The heap test runs the real server in a child process with a 256 MB heap (an unbounded log makes
// it crash there instead of slowing the machine down); the child measures its own heap after gc()
// and reports over IPC. The same file is the child's entry point when OCC_JUNK_SERVER is set.
import assert from 'node:assert/strict'
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { Pool } from 'undici'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'

const CHILD_ROLE = 'OCC_JUNK_SERVER'
const JUNK_REQUESTS = 2_000
const JUNK_PARAMS = 2_000
/** What the junk may add to the server's heap: about 5 MiB with bounded bookkeeping, over 400 MiB without. */
const MAX_HEAP_GROWTH = 16 * 1024 * 1024
/** The log's defaults, as documented on `logBounds`. */
const MAX_PARAMS_PER_ENTRY = 32
const MAX_PARAM_BYTES_PER_ENTRY = 4096

/** `2000` distinct short names with one-character values, then `client_id`: about 12 KB, under `maxBodyBytes`. */
function junkForm(clientId: string): string {
  const pairs = Array.from({ length: JUNK_PARAMS }, (_, index) => `${index.toString(36)}=v`)
  return `${pairs.join('&')}&client_id=${clientId}`
}

interface HeapReport {
  readonly heapUsed: number
  readonly logged: number
  readonly lastClientId: string | undefined
  readonly lastDropped: number | undefined
}

type ChildMessage = { type: 'ready'; port: number } | ({ type: 'heap' } & HeapReport)

async function heapAfterGc(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc
  assert.ok(gc !== undefined, 'run with --expose-gc')
  for (let round = 0; round < 3; round++) {
    await new Promise((resolve) => setImmediate(resolve))
    gc()
  }
  return process.memoryUsage().heapUsed
}

/** The child: the reference server with its defaults and no clients, measuring its heap when asked. */
async function serveJunkTarget(): Promise<void> {
  const server = await startReferenceServer({ clients: [] })
  const send = (message: ChildMessage): void => void process.send?.(message)
  process.on('message', (message: unknown) => {
    if (message === 'measure') {
      void heapAfterGc().then((heapUsed) => {
        const last = server.log.entries.at(-1)
        send({ type: 'heap', heapUsed, logged: server.log.count(), lastClientId: last?.clientId, lastDropped: last?.droppedParams })
      })
    }
    if (message === 'stop') void server.close().then(() => process.disconnect())
  })
  send({ type: 'ready', port: server.port })
}

/** Starts the child and resolves with a way to ask it for its heap; rejects every wait once it dies. */
async function startJunkTarget(): Promise<{
  child: ChildProcess
  port: number
  measure: () => Promise<HeapReport>
  /** Rejects, with the child's stderr, once it exits. */
  exited: Promise<never>
  stop: () => Promise<void>
}> {
  const env: NodeJS.ProcessEnv = { ...process.env, [CHILD_ROLE]: '1' }
  delete env['NODE_TEST_CONTEXT'] // the child runs no tests and must not talk to the test runner
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx', '--expose-gc', '--max-old-space-size=256'],
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)))
  child.on('error', () => {}) // a send to a child that died: its exit is what the test reports
  const exited = once(child, 'exit').then(([code, signal]): never => {
    throw new Error(`the server process exited (code ${String(code)}, signal ${String(signal)}): ${stderr}`)
  })
  exited.catch(() => {}) // observed by whoever waits on the child
  const next = async <T extends ChildMessage['type']>(type: T): Promise<Extract<ChildMessage, { type: T }>> => {
    const message = once(child, 'message').then(([value]) => value as ChildMessage)
    const got = await Promise.race([message, exited])
    assert.equal(got.type, type)
    return got as Extract<ChildMessage, { type: T }>
  }
  const ready = await next('ready')
  const measure = async (): Promise<HeapReport> => {
    const report = next('heap')
    child.send('measure')
    return report
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    if (child.connected) child.send('stop')
    const timer = setTimeout(() => child.kill(), 5_000)
    await exited.catch(() => {})
    clearTimeout(timer)
  }
  return { child, port: ready.port, measure, exited, stop }
}

if (process.env[CHILD_ROLE] === '1') {
  await serveJunkTarget()
} else {
  test(`${JUNK_REQUESTS} unauthenticated token requests of ${JUNK_PARAMS} parameters grow the server's heap by under 16 MiB`, { timeout: 30_000 }, async (t) => {
    const target = await startJunkTarget()
    const pool = new Pool(`http://127.0.0.1:${target.port}`, { connections: 4 })
    try {
      const post = async (index: number): Promise<number> => {
        const body = junkForm(`junk-client-${String(index).padStart(6, '0')}`)
        assert.ok(body.length <= 16_384, 'the junk fits the default maxBodyBytes, so the server parses it')
        const response = await pool.request({
          path: '/token',
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
        })
        await response.body.dump()
        return response.statusCode
      }
      const run = async (from: number, to: number): Promise<number[]> => {
        const statuses: number[] = []
        let next = from
        const worker = async (): Promise<void> => {
          while (next < to) statuses.push(await post(next++))
        }
        await Promise.all(Array.from({ length: 8 }, worker))
        return statuses
      }
      // A request that fails because the server died reports how it died (out of memory, before the fix).
      const orExit = <T>(work: Promise<T>): Promise<T> =>
        work.catch(async (error: unknown) => {
          await Promise.race([target.exited, new Promise((resolve) => setTimeout(resolve, 2_000))])
          throw error
        })
      await orExit(run(0, 50)) // warm-up: code, sockets and buffers the server allocates once
      const before = await target.measure()
      const statuses = await orExit(run(50, 50 + JUNK_REQUESTS))
      const afterJunk = await target.measure()
      assert.deepEqual(new Set(statuses), new Set([401]), 'each is an unauthenticated token request')
      const growth = afterJunk.heapUsed - before.heapUsed
      t.diagnostic(`heap growth over ${JUNK_REQUESTS} junk requests: ${(growth / 1024 / 1024).toFixed(1)} MiB`)
      assert.ok(growth < MAX_HEAP_GROWTH, `the heap grew by ${(growth / 1024 / 1024).toFixed(1)} MiB`)
      assert.equal(afterJunk.logged, 50 + JUNK_REQUESTS, 'every request is still logged')
      assert.match(afterJunk.lastClientId ?? '', /^junk-client-\d{6}$/, 'the client id is kept whole, past the dropped params')
      assert.equal(afterJunk.lastDropped, JUNK_PARAMS + 1 - MAX_PARAMS_PER_ENTRY, 'the entry says what it left out')
    } finally {
      await pool.destroy()
      await target.stop()
    }
  })

  describe('what one log entry keeps', () => {
    let server: ReferenceServer
    before(async () => {
      server = await startReferenceServer({ clients: [{ clientId: 'svc', clientSecret: 'svc-secret', scopes: ['api:read'] }] })
    })
    after(() => server.close())

    const post = (path: string, body: string): Promise<Response> =>
      fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })

    test('an ordinary request in full; past 32 values or 4 KiB, the first ones and a count of the rest', async () => {
      server.log.clear()
      const dozen: [string, string][] = [
        ['grant_type', 'client_credentials'],
        ['client_id', 'svc'],
        ['client_secret', 'svc-secret'],
        ['scope', 'api:read'],
        ...Array.from({ length: 4 }, (_, index): [string, string] => ['resource', `https://api${index}.example/`]),
        ['audience', 'https://api.example'],
        ['tenant', 'acme'],
        ['request_id', 'c0ffee'],
        ['empty', ''],
      ]
      await (await post('/token', new URLSearchParams(dozen).toString())).text()
      const many = Array.from({ length: 40 }, (_, index) => `p${index}=${index}`).join('&')
      await (await post('/token', many)).text()
      const big = `first=${'a'.repeat(MAX_PARAM_BYTES_PER_ENTRY - 100)}&second=${'b'.repeat(200)}&third=c`
      await (await post('/token', big)).text()
      const repeated = Array.from({ length: 50 }, () => 'resource=https://api.example/').join('&')
      await (await post('/token', `grant_type=client_credentials&${repeated}`)).text()
      await (await fetch(`${server.resourceUrl}?${many}`)).text()
      await (await post('/introspect', `token=opaque-value&${many}`)).text()

      const [ordinary, manyEntry, bigEntry, repeatedEntry, resource, introspection] = server.log.entries
      assert.ok(ordinary && manyEntry && bigEntry && repeatedEntry && resource && introspection)
      assert.equal(ordinary.status, 200)
      assert.equal('droppedParams' in ordinary, false, 'nothing dropped, nothing said')
      const expected: Record<string, string[]> = {}
      for (const [name, value] of dozen) if (name !== 'client_secret') (expected[name] ??= []).push(value)
      assert.deepEqual(ordinary.params, expected)

      assert.deepEqual(Object.keys(manyEntry.params), Array.from({ length: MAX_PARAMS_PER_ENTRY }, (_, index) => `p${index}`))
      assert.equal(manyEntry.droppedParams, 40 - MAX_PARAMS_PER_ENTRY)
      assert.deepEqual(bigEntry.params, { first: ['a'.repeat(MAX_PARAM_BYTES_PER_ENTRY - 100)] }, 'no value is cut short')
      assert.equal(bigEntry.droppedParams, 2)
      assert.equal(repeatedEntry.params['resource']?.length, MAX_PARAMS_PER_ENTRY - 1, 'each value of a repeated parameter counts')
      assert.equal(repeatedEntry.droppedParams, 50 - (MAX_PARAMS_PER_ENTRY - 1))
      for (const entry of [resource, introspection]) {
        assert.equal(Object.keys(entry.params).length, MAX_PARAMS_PER_ENTRY, entry.path)
        assert.equal(entry.droppedParams, 40 - MAX_PARAMS_PER_ENTRY, entry.path)
      }
      assert.equal('token' in introspection.params, false, 'the token is still never logged')
    })

    test('logBounds: the oldest entries go once the log holds maxTotalBytes', async () => {
      const small = await startReferenceServer({ clients: [], logBounds: { maxTotalBytes: 64 * 1024 } })
      try {
        const path = `/${'x'.repeat(4_000)}`
        for (let index = 0; index < 40; index++) await (await fetch(`${small.url}${path}${index}`)).text()
        const kept = small.log.entries
        assert.ok(kept.length >= 8 && kept.length < 20, `${kept.length} entries of about 4 KB each fit 64 KiB`)
        assert.equal(kept.at(-1)?.path, `${path}39`, 'the newest is kept')
        assert.equal(small.log.count(), kept.length)
        const wide = await startReferenceServer({ clients: [], logBounds: { maxParamsPerEntry: 2_000, maxParamBytesPerEntry: Infinity } })
        try {
          const form = Array.from({ length: 1_500 }, (_, index) => `p${index}=${index}`).join('&')
          await (await fetch(wide.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })).text()
          assert.equal(Object.keys(wide.log.entries[0]?.params ?? {}).length, 1_500)
          assert.equal(wide.log.entries[0]?.droppedParams, undefined)
        } finally {
          await wide.close()
        }
      } finally {
        await small.close()
      }
    })

    test('logBounds refuses what is not a count', async () => {
      const invalid: [string, Record<string, unknown>][] = [
        ['maxParamsPerEntry', { maxParamsPerEntry: -1 }],
        ['maxParamsPerEntry', { maxParamsPerEntry: 1.5 }],
        ['maxParamBytesPerEntry', { maxParamBytesPerEntry: Number.NaN }],
        ['maxTotalBytes', { maxTotalBytes: 0 }],
        ['maxTotalBytes', { maxTotalBytes: '1000' }],
      ]
      // A server that starts after all is closed at once, so a failing assertion leaves nothing listening.
      const start = (logBounds: unknown): Promise<void> =>
        startReferenceServer({ clients: [], logBounds: logBounds as never }).then((started) => started.close())
      for (const [name, logBounds] of invalid) {
        await assert.rejects(start(logBounds), {
          code: 'ERR_INVALID_ARG_VALUE',
          message: new RegExp(`options\\.logBounds\\.${name}`),
        })
      }
      await assert.rejects(start(5), { code: 'ERR_INVALID_ARG_VALUE', message: /options\.logBounds / })
    })
  })
}
