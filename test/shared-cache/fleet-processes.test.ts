// A fleet of real processes (forked children, each with its own TokenClient) sharing tokens through
// a real redis-server: one token request for a cold stampede of the whole fleet, across node-redis
// and ioredis (5 and 6), a later process reading the shared token, a lease holder killed mid-
// request, Redis killed and restarted on the same port, steady state with short tokens, and a
// 3-node cluster with both drivers.
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { createClient } from 'redis'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { startFleet, type FleetDriver, type FleetWorker, type FleetWorkerConfig } from '../../scripts/fleet/fleet.js'
import { skipWithoutRedis, startRedisCluster, startRedisServer, type RedisCluster, type RedisServer } from '../helpers/redis-server.js'
import { LEAK_PROBE_SECRET } from '../helpers/secrets.js'

const CLIENT_ID = 'fleet-svc'
const SCOPE = 'orders:read'
const DRIVERS: readonly FleetDriver[] = ['redis', 'ioredis', 'redis-v5', 'ioredis-v5']

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('a fleet of processes on one redis-server', { skip: skipWithoutRedis(), timeout: 120_000 }, () => {
  let redisServer: RedisServer
  let server: ReferenceServer
  let workers: FleetWorker[] = []

  before(async () => {
    redisServer = await startRedisServer()
    server = await startReferenceServer({ clients: [{ clientId: CLIENT_ID, clientSecret: LEAK_PROBE_SECRET, scopes: [SCOPE] }] })
  })
  after(async () => {
    await server.close()
    await redisServer.stop()
  })
  beforeEach(async () => {
    await Promise.all(workers.map((worker) => worker.close()))
    workers = []
    const redis = createClient({ url: redisServer.url })
    await redis.connect()
    await redis.flushAll()
    await redis.quit()
    server.log.clear()
    server.faults.clear()
  })

  const config = (driver: FleetDriver, extra: Partial<FleetWorkerConfig> = {}): FleetWorkerConfig => ({
    tokenUrl: server.tokenUrl,
    clientId: CLIENT_ID,
    clientSecret: LEAK_PROBE_SECRET,
    driver,
    redis: { nodes: [{ host: redisServer.host, port: redisServer.port }] },
    ...extra,
  })
  const fleet = async (count: number, make: (index: number) => FleetWorkerConfig) => {
    const started = await startFleet(count, make)
    workers.push(...started)
    return started
  }
  const tokenRequests = () => server.log.tokenRequests({ clientId: CLIENT_ID }).length

  test('a cold stampede of 6 processes x 20 calls, node-redis and ioredis 5 and 6 mixed, makes one token request', async () => {
    const processes = await fleet(6, (index) => config(DRIVERS[index % DRIVERS.length]!))
    // A slow token server widens the race: every process is looking while the first one's request runs.
    server.faults.add({ type: 'delay', ms: 200 }, { times: 1 })
    const answers = await Promise.all(processes.map((worker) => worker.get(SCOPE, 20)))
    assert.deepEqual(answers.flatMap((answer) => answer.errors), [])
    const tokens = new Set(answers.flatMap((answer) => answer.tokens))
    assert.equal(tokens.size, 1, 'every process got the same token')
    assert.equal(answers.flatMap((answer) => answer.tokens).length, 120)
    assert.equal(tokenRequests(), 1)
    assert.deepEqual(processes.flatMap((worker) => worker.troubles), [])
  })

  test('a process started later reads the shared token; an ioredis one reads what node-redis wrote', async () => {
    const [writer] = await fleet(1, () => config('redis'))
    const [token] = (await writer!.get(SCOPE)).tokens
    await wait(100) // the entry is written just after the writer's callers have their token
    const [reader] = await fleet(1, () => config('ioredis'))
    assert.deepEqual((await reader!.get(SCOPE)).tokens, [token])
    assert.equal(tokenRequests(), 1)
  })

  test('a lease holder killed mid-request stops blocking the fleet within the lease time', async () => {
    const leaseMs = 1_000
    const [holder, waiter] = await fleet(2, (index) => config(index === 0 ? 'redis' : 'ioredis', { sharedCache: { leaseMs } }))
    // The holder's request hangs at the server; the holder is killed while it holds the lease.
    server.faults.add({ type: 'delay', ms: 30_000 }, { times: 1 })
    void holder!.get(SCOPE).catch(() => {})
    const deadline = Date.now() + 5_000
    while (tokenRequests() === 0 && Date.now() < deadline) await wait(10)
    assert.equal(tokenRequests(), 1, 'the holder asked the server')
    holder!.child.kill('SIGKILL')
    const started = performance.now()
    const answer = await waiter!.get(SCOPE, 5)
    const waited = performance.now() - started
    assert.deepEqual(answer.errors, [])
    assert.equal(new Set(answer.tokens).size, 1)
    assert.ok(waited < leaseMs + 1_500, `waited ${Math.round(waited)} ms for a dead holder`)
    assert.equal(tokenRequests(), 2)
    assert.ok(!waiter!.troubles.some((trouble) => trouble.code === 'SHARED_CACHE_WAIT_EXCEEDED'), 'it waited for the lease to expire, not for maxWaitMs')
  })

  test('Redis killed and restarted on the same port: calls never fail, and sharing resumes without a restart', async () => {
    const sharedCache = { operationTimeoutMs: 100, breaker: { failures: 2, cooldownMs: 300 } }
    const [a, b] = await fleet(2, (index) => config(index === 0 ? 'redis' : 'ioredis', { sharedCache }))
    assert.deepEqual((await a!.get(SCOPE)).errors, [])
    await redisServer.kill()
    // Down: new tokens come from the server (forced by new scopes is not possible here: use fresh processes' caches).
    const whileDown = await Promise.all([b!.get(SCOPE, 3), b!.get(SCOPE, 3), a!.get(SCOPE, 3)])
    assert.deepEqual(whileDown.flatMap((answer) => answer.errors), [])
    assert.ok(b!.troubles.some((trouble) => trouble.code === 'SHARED_CACHE_SKIPPED' || trouble.code === 'SHARED_CACHE_UNAVAILABLE' || trouble.code === 'SHARED_CACHE_TIMEOUT'))
    await redisServer.restart()
    await wait(1_000) // the drivers reconnect, the breaker's cooldown ends
    // Back: a new process gets what a process shares from now on.
    const [c] = await fleet(1, () => config('redis-v5', { sharedCache }))
    await c!.get(SCOPE) // asks the server (Redis came back empty), and shares the token
    await wait(100)
    const requests = tokenRequests()
    const [d] = await fleet(1, () => config('ioredis-v5', { sharedCache }))
    const [fromC] = (await c!.get(SCOPE)).tokens
    assert.deepEqual((await d!.get(SCOPE)).tokens, [fromC])
    assert.equal(tokenRequests(), requests)
    // And a process that was running through the outage shares again too, once its driver has
    // reconnected (ioredis backs off up to 2 s between attempts): what it gets, a new process reads.
    const resumeBy = Date.now() + 15_000
    for (;;) {
      await b!.ask({ op: 'invalidate', scope: SCOPE })
      const [fromB] = (await b!.get(SCOPE)).tokens
      await wait(100)
      const [e] = await fleet(1, () => config('redis', { sharedCache }))
      const [fromE] = (await e!.get(SCOPE)).tokens
      await e!.close()
      if (fromB === fromE) break
      assert.ok(Date.now() < resumeBy, `the process that ran through the outage never shared again: ${JSON.stringify(b!.troubles.slice(-3))}`)
    }
    assert.deepEqual(b!.troubles.filter((trouble) => trouble.code === 'SHARED_CACHE_ENTRY_REJECTED'), [])
  })

  test('steady state: 4 processes with 4-second tokens make about the token requests of one process alone', async () => {
    const shortServer = await startReferenceServer({
      clients: [{ clientId: CLIENT_ID, clientSecret: LEAK_PROBE_SECRET, scopes: [SCOPE] }],
      tokenLifetime: 4,
    })
    try {
      const processes = await fleet(4, (index) => ({ ...config(DRIVERS[index]!), tokenUrl: shortServer.tokenUrl }))
      const durationMs = 8_000
      const answers = await Promise.all(processes.map((worker) => worker.ask({ op: 'steady', scope: SCOPE, durationMs, intervalMs: 20 })))
      assert.deepEqual(answers.flatMap((answer) => answer.errors), [])
      const requests = shortServer.log.tokenRequests({ clientId: CLIENT_ID }).length
      // One process alone refreshes a 4 s token (2 s usable, a 2 s buffer) at 70-80% of its usable
      // time: about every 1.5 s, so at most 8 / 1.4 + 1 = 7 requests in 8 s.
      const alone = Math.floor(durationMs / 1_400) + 1
      assert.ok(requests <= alone, `${requests} token requests for the fleet; one process alone makes at most ${alone}`)
      assert.ok(requests >= 4, `${requests}: tokens were refreshed`)
    } finally {
      await Promise.all(workers.map((worker) => worker.close()))
      workers = []
      await shortServer.close()
    }
  })
})

describe('a fleet of processes on a 3-node Redis Cluster', { skip: skipWithoutRedis('cluster'), timeout: 120_000 }, () => {
  let cluster: RedisCluster
  let server: ReferenceServer
  const workers: FleetWorker[] = []

  before(async () => {
    cluster = await startRedisCluster()
    server = await startReferenceServer({ clients: [{ clientId: CLIENT_ID, clientSecret: LEAK_PROBE_SECRET, scopes: [SCOPE, 'a', 'b', 'c'] }] })
  })
  after(async () => {
    await Promise.all(workers.map((worker) => worker.close()))
    await server.close()
    await cluster.stop()
  })

  test('node-redis and ioredis cluster clients share one token per scope, one request each', async () => {
    const started = await startFleet(4, (index) => ({
      tokenUrl: server.tokenUrl,
      clientId: CLIENT_ID,
      clientSecret: LEAK_PROBE_SECRET,
      driver: DRIVERS[index]!,
      redis: { nodes: cluster.nodes.map(({ host, port }) => ({ host, port })), cluster: true },
    }))
    workers.push(...started)
    server.faults.add({ type: 'delay', ms: 200 }, { times: 4 })
    // Several scopes, so that entries land on different nodes.
    for (const scope of [SCOPE, 'a', 'b', 'c']) {
      const answers = await Promise.all(started.map((worker) => worker.get(scope, 10)))
      assert.deepEqual(answers.flatMap((answer) => answer.errors), [])
      assert.equal(new Set(answers.flatMap((answer) => answer.tokens)).size, 1, scope)
    }
    assert.equal(server.log.tokenRequests({ clientId: CLIENT_ID }).length, 4)
    assert.deepEqual(started.flatMap((worker) => worker.troubles), [])
  })
})
