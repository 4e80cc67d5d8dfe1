// The shared token cache over a client's life, against real redis-server: invalidation right after
// a token arrives, a lease granted after its operation timed out, options the store then refuses,
// a caller's abort and close() while another process holds the lease, what is left running after
// close(), a stopped Redis (SIGSTOP) and the breaker, a slow one, and a Redis connection the
// application unref()s. Each TokenClient stands for one process, except where a real child process
// is the point (the process must be able to exit).
//
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { TokenClient } from '../../src/index.js'
import { redisTokenCache } from '../../src/redis/index.js'
import { startCountingTokenServer } from '../helpers/counting-token-server.js'
import { skipWithoutRedis } from '../helpers/redis-server.js'
import { LEAK_PROBE_SECRET } from '../helpers/secrets.js'
import { sharedCacheFixture, until } from '../helpers/shared-cache-fixture.js'

const CLIENT_ID = 'lifecycle-svc'
const SCOPE = 'orders:read'
const REPO = fileURLToPath(new URL('../../', import.meta.url))

/** Runs `code` (an ES module) in a child process from the repository root; resolves with its exit code, output and run time. */
function runChild(code: string, env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; output: string; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now()
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (exitCode) => {
      clearTimeout(timer)
      resolve({ code: exitCode, output, ms: performance.now() - started })
    })
  })
}

describe('shared cache over a client\'s life', { skip: skipWithoutRedis(), timeout: 90_000 }, () => {
  const fixture = sharedCacheFixture({ clientId: CLIENT_ID, startTokenServer: startCountingTokenServer, clientOptions: { retry: false } })
  const { processClient, clients, troubles, storedEntryNames } = fixture

  /** A lease name for SCOPE, as another process (or an attacker) sees it: written once, then the entry removed. */
  const leaseName = async () => {
    await processClient().getToken(SCOPE)
    await until(async () => (await storedEntryNames()).length === 1)
    const [name] = await storedEntryNames()
    await fixture.admin.del(name!)
    return `${name}:lease`
  }

  test('invalidate() right after getToken() sticks: the next getToken() never serves the invalidated token back from Redis', async () => {
    const client = processClient()
    const first = await client.getToken(SCOPE)
    // The API answered 401 at once, say: the token is invalidated. The entry's SET is still on its
    // way to Redis (the callers get the token before it lands), so #held does not know it yet: no
    // delete is sent, nothing is marked revoked, and the next read finds the token and serves it.
    client.invalidate(SCOPE)
    const second = await client.getToken(SCOPE)
    assert.notEqual(second.accessToken, first.accessToken, 'the invalidated token was served again, without a token request')
  })

  test('a lease granted after its operation timed out is given back, breaker open or not: no other process waits for it', async () => {
    // CLIENT PAUSE ... WRITE: reads go through, the lease's EVAL waits. The take times out (100 ms),
    // which opens the breaker (failures: 1 here; with the default 3, three cold keys at once do it);
    // the lease is granted when the pause ends, and the "give it back" release is skipped by the
    // breaker (guarded-store.ts run() returns UNAVAILABLE without calling the store).
    const client = processClient({ operationTimeoutMs: 100, breaker: { failures: 1, cooldownMs: 5_000 } })
    await fixture.admin.sendCommand(['CLIENT', 'PAUSE', '400', 'WRITE'])
    await client.getToken(SCOPE)
    await sleep(600)
    const leases = (await fixture.admin.keys('*')).filter((name) => name.endsWith(':lease'))
    const other = processClient({ maxWaitMs: 8_000 })
    const started = performance.now()
    await other.getToken(SCOPE)
    const waited = performance.now() - started
    assert.deepEqual(leases, [], 'a late lease is still held in Redis after the pause ended')
    assert.ok(waited < 1_000, `the next process waited ${waited.toFixed(0)} ms for a lease nobody holds`)
  })

  test('leaseMs that is not a whole number is a TypeError at once, not a store refusal on every takeLease', async () => {
    let cache: ReturnType<typeof redisTokenCache> | undefined
    try {
      cache = redisTokenCache(fixture.redis, { leaseMs: 1_500.5, onError: (error) => troubles.push(error) })
    } catch (error) {
      // Refusing it here, naming the option, is a fix too.
      assert.equal((error as { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
      return
    }
    fixture.tokenServer.delayMs = 100
    const fleet = [0, 1, 2].map(() => {
      const client = new TokenClient({ tokenUrl: fixture.tokenServer.tokenUrl, clientId: CLIENT_ID, clientSecret: LEAK_PROBE_SECRET, sharedCache: cache })
      clients.push(client)
      return client
    })
    await Promise.all(fleet.map((client) => client.getToken(SCOPE)))
    const refused = troubles.filter((error) => error.operation === 'takeLease')
    assert.deepEqual(refused.map((error) => `${error.code}: ${(error.cause as Error | undefined)?.message}`), [], 'every takeLease failed')
    assert.equal(fixture.tokenServer.requests(), 1, `${fixture.tokenServer.requests()} token requests for 3 processes at once`)
  })

  test('a script whose Redis connection is unref()ed gets its token (the operation timeout keeps it alive)', async () => {
    // node-redis's client.unref() is how a CLI or a job keeps Redis from holding the process open.
    // Without sharedCache the same script gets its token (the HTTP request holds the loop); with it,
    // getToken() first awaits GET on the unref'd socket, and the only timer that could hold the loop
    // (the operation timeout, guarded-store.ts) is unref()'d too: the loop empties, the process ends.
    const code = `
      import { createClient } from 'redis'
      import { TokenClient } from './src/index.ts'
      import { redisTokenCache } from './src/redis/index.ts'
      const redis = createClient({ url: process.env.REDIS_URL })
      redis.on('error', () => {})
      await redis.connect()
      redis.unref()
      const client = new TokenClient({
        tokenUrl: process.env.TOKEN_URL, clientId: 'c', clientSecret: 'a-secret-of-some-length',
        ...(process.env.SHARED === '1' ? { sharedCache: redisTokenCache(redis) } : {}),
      })
      const token = await client.getToken('s')
      console.log('GOT ' + token.scope)
      await client.close()
      redis.destroy() // not quit(): awaiting QUIT's reply on the unref'd socket would be the same trap
    `
    const without = await runChild(code, { REDIS_URL: fixture.redisServer.url, TOKEN_URL: fixture.tokenServer.tokenUrl, SHARED: '0' }, 8_000)
    assert.equal(without.code, 0, without.output)
    assert.match(without.output, /GOT s/)
    const withShared = await runChild(code, { REDIS_URL: fixture.redisServer.url, TOKEN_URL: fixture.tokenServer.tokenUrl, SHARED: '1' }, 8_000)
    assert.match(withShared.output, /GOT s/, `exit code ${withShared.code}, no token: ${withShared.output.slice(0, 300)}`)
    assert.equal(withShared.code, 0)
  })

  test('a caller\'s abort while another process holds the lease rejects that caller promptly; a patient caller still gets the token', async () => {
    const lease = await leaseName()
    await fixture.admin.set(lease, 'another-process', { PX: 1_500 })
    const client = processClient({ maxWaitMs: 8_000 })
    const controller = new AbortController()
    const impatient = client.getToken(SCOPE, { signal: controller.signal })
    const patient = client.getToken(SCOPE)
    await sleep(150)
    const abortedAt = performance.now()
    controller.abort(new Error('caller gave up'))
    await assert.rejects(impatient, { code: 'ABORTED' })
    const rejectedAfter = performance.now() - abortedAt
    assert.ok(rejectedAfter < 50, `the aborted caller was rejected ${rejectedAfter.toFixed(0)} ms after its abort`)
    assert.match((await patient).accessToken, /^tok-/)
  })

  test('the last waiter\'s abort stops the wait: no token request is made for nobody', async () => {
    const lease = await leaseName()
    await fixture.admin.set(lease, 'another-process', { PX: 600 })
    const client = processClient({ maxWaitMs: 8_000 })
    const before = fixture.tokenServer.requests()
    const controller = new AbortController()
    const call = client.getToken(SCOPE, { signal: controller.signal })
    await sleep(100)
    controller.abort()
    await assert.rejects(call, { code: 'ABORTED' })
    await sleep(900) // past the lease's expiry: an abandoned wait would take it now and fetch
    assert.equal(fixture.tokenServer.requests(), before)
  })

  test('close() while waiting on another process\'s lease rejects at once with CLIENT_CLOSED', async () => {
    const lease = await leaseName()
    await fixture.admin.set(lease, 'another-process', { PX: 5_000 })
    const client = processClient({ maxWaitMs: 8_000 })
    const call = client.getToken(SCOPE)
    await sleep(150)
    const closedAt = performance.now()
    await client.close()
    await assert.rejects(call, { code: 'CLIENT_CLOSED' })
    assert.ok(performance.now() - closedAt < 50)
  })

  test('after close() and quit() nothing is left running: a process that waited on a lease, and one that shared a token, exit by themselves', async () => {
    const lease = await leaseName()
    await fixture.admin.set(lease, 'another-process', { PX: 20_000 })
    const code = `
      import { createClient } from 'redis'
      import { TokenClient } from './src/index.ts'
      import { redisTokenCache } from './src/redis/index.ts'
      const redis = createClient({ url: process.env.REDIS_URL })
      redis.on('error', () => {})
      await redis.connect()
      const client = new TokenClient({ tokenUrl: process.env.TOKEN_URL, clientId: process.env.CLIENT_ID, clientSecret: process.env.SECRET, sharedCache: redisTokenCache(redis, { leaseMs: 300 }) })
      await client.getToken('other:scope')
      const waiting = client.getToken(process.env.SCOPE).then(() => 'resolved', (error) => error.code)
      await new Promise((resolve) => setTimeout(resolve, 200))
      await client.close()
      console.log('WAIT ' + (await waiting))
      await redis.quit()
      console.log('CLOSED ' + performance.now())
    `
    const result = await runChild(code, { REDIS_URL: fixture.redisServer.url, TOKEN_URL: fixture.tokenServer.tokenUrl, CLIENT_ID, SECRET: LEAK_PROBE_SECRET, SCOPE }, 9_000)
    assert.equal(result.code, 0, result.output)
    assert.match(result.output, /WAIT CLIENT_CLOSED/)
    assert.ok(result.ms < 6_000, `the process took ${result.ms.toFixed(0)} ms to exit`)
  })

  test('invalidate() storms: 10,000 calls send one compare-and-delete, and the next getToken() makes one request', async () => {
    const client = processClient()
    await client.getToken(SCOPE)
    await until(async () => (await storedEntryNames()).length === 1)
    await sleep(20) // the entry's SET has landed: the process knows what it holds
    await fixture.admin.sendCommand(['CONFIG', 'RESETSTAT'])
    for (let index = 0; index < 5_000; index++) client.invalidate(SCOPE)
    for (let index = 0; index < 5_000; index++) client.invalidate()
    const before = fixture.tokenServer.requests()
    const again = await Promise.all(Array.from({ length: 50 }, () => client.getToken(SCOPE)))
    assert.equal(new Set(again.map((token) => token.accessToken)).size, 1)
    assert.equal(fixture.tokenServer.requests(), before + 1)
    const stats = String(await fixture.admin.sendCommand(['INFO', 'commandstats']))
    const evals = Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? 0)
    // One delete, then the refetch's lease take, its entry write and its release.
    assert.ok(evals <= 5, `${evals} EVALs for an invalidate storm:\n${stats}`)
  })

  test('Redis stopped (SIGSTOP): a cold call costs at most one operation timeout; once the breaker is open, nothing; sharing resumes after SIGCONT', async () => {
    const options = { operationTimeoutMs: 100, breaker: { failures: 3, cooldownMs: 400 } }
    const client = processClient(options)
    await client.getToken('warm-up') // the connection is up
    await fixture.redisServer.kill('SIGSTOP')
    const timings: number[] = []
    try {
      for (let index = 0; index < 8; index++) {
        const started = performance.now()
        await client.getToken(`cold:${index}`)
        timings.push(performance.now() - started)
      }
    } finally {
      await fixture.redisServer.kill('SIGCONT')
    }
    for (const ms of timings) assert.ok(ms < 300, `a cold call took ${ms.toFixed(0)} ms with Redis stopped: ${timings.map((each) => each.toFixed(0)).join(', ')}`)
    const open = timings.slice(-4)
    for (const ms of open) assert.ok(ms < 30, `with the breaker open a cold call took ${ms.toFixed(0)} ms: ${timings.map((each) => each.toFixed(0)).join(', ')}`)
    assert.ok(troubles.some((error) => error.code === 'SHARED_CACHE_SKIPPED'))
    // Back: after the cooldown a probe goes through, and a token is shared again.
    await sleep(500)
    const shared = await client.getToken('after-sigcont')
    await until(async () => (await processClient().getToken('after-sigcont')).accessToken === shared.accessToken, 3_000)
  })

})
