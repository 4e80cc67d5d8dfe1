// redisStore() against real redis-server: the SharedTokenStore contract with each driver (node-redis
// 6 and 5, ioredis 6 and 5) on one server and on a 3-node cluster, entries shared between drivers and
// processes, the hash slot of an entry and its lease, the argument checks, and a Redis that is gone.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { createClient as createClient6, createCluster as createCluster6 } from 'redis'
import { createClient as createClient5, createCluster as createCluster5 } from 'redis-v5'
import { redisStore, type RedisConnection } from '../../src/redis/index.js'
import type { SharedTokenStore } from '../../src/shared-cache/shared-token-store.js'
import {
  redisReply,
  redisSkip,
  skipWithoutRedis,
  startRedisCluster,
  startRedisServer,
  type RedisCluster,
  type RedisNode,
  type RedisServer,
} from '../helpers/redis-server.js'
import { DRIVERS, driver, type Driver, type DriverConnection } from './support/redis-drivers.js'

const clusterSkip = skipWithoutRedis('cluster')

/** A new name shaped as the shared cache makes them: a prefix and a braced hash tag. */
const newName = () => `oauth2cc-test:{${randomUUID()}}`

/**
 * A value with what a store could get wrong: multi-byte and astral characters, NUL, CR LF, 8192 code
 * points (a sealed entry is base64url and shorter, but a store must not care).
 */
const UNICODE_8K = (() => {
  const chars = Array.from('ünïcödé ✓ 𝄞 🔑 \u0000\r\n-_AZaz09=')
  return Array.from({ length: 8192 }, (_, i) => chars[i % chars.length]).join('')
})()

const TTL_MS = 60_000

function description(each: Driver, topology: 'standalone' | 'cluster'): string {
  return `redis (${each.family}${topology === 'cluster' ? ' cluster' : ''})`
}

/** The SharedTokenStore contract, on the connection `connect()` makes. */
function contractTests(each: Driver, topology: 'standalone' | 'cluster', connect: () => Promise<DriverConnection>): void {
  let connection: DriverConnection | undefined
  let store: SharedTokenStore
  before(async () => {
    connection = await connect()
    store = redisStore(connection.redis)
  })
  after(() => connection?.close())
  const raw = () => connection as DriverConnection

  test(`description is '${description(each, topology)}'`, () => {
    assert.equal(store.description, description(each, topology))
  })

  test('get of a name that holds nothing is undefined', async () => {
    assert.equal(await store.get(newName()), undefined)
  })

  test('set then get gives the value; a second set replaces the value and its time to live', async () => {
    const name = newName()
    await store.set(name, 'first', TTL_MS)
    assert.equal(valueOf(await store.get(name)), 'first')
    await store.set(name, 'second', 5_000)
    assert.equal(valueOf(await store.get(name)), 'second')
    const pttl = await raw().pttl(name)
    assert.ok(pttl > 0 && pttl <= 5_000, `PTTL ${pttl}`)
  })

  test('set honours ttlMs: PTTL says so, and a 1 ms entry is gone 5 ms later', async () => {
    const name = newName()
    await store.set(name, 'value', TTL_MS)
    const pttl = await raw().pttl(name)
    assert.ok(pttl > TTL_MS - 5_000 && pttl <= TTL_MS, `PTTL ${pttl}`)
    const brief = newName()
    await store.set(brief, 'value', 1)
    await sleep(5)
    assert.equal(valueOf(await store.get(brief)), undefined)
  })

  test('a read answers the remaining time to live, and sends nothing of a value longer than asked for', async () => {
    const name = newName()
    await store.set(name, 'x'.repeat(100), 5_000)
    const answer = await store.get(name, 100)
    assert.ok(typeof answer === 'object' && answer !== null)
    assert.equal(answer.value, 'x'.repeat(100))
    assert.ok(answer.ttlMs !== undefined && answer.ttlMs > 4_000 && answer.ttlMs <= 5_000, `ttlMs ${answer.ttlMs}`)
    assert.deepEqual(await store.get(name, 99), { tooLong: true })
  })

  test('takeLease gives a lease left without a time to live (a stray SET) one, so it cannot block for ever', async () => {
    const lease = `${newName()}:lease`
    await raw().setForever(lease, 'stray')
    assert.equal(await raw().pttl(lease), -1)
    assert.equal(await store.takeLease(lease, 'owner', 2_000), false)
    const pttl = await raw().pttl(lease)
    assert.ok(pttl > 0 && pttl <= 2_000, `PTTL ${pttl}`)
  })

  test('unicode, NUL, CR LF and 8192 code points round-trip, stored as their UTF-8 bytes', async () => {
    for (const value of [UNICODE_8K, '', 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aGVsbG8']) {
      const name = newName()
      await store.set(name, value, TTL_MS)
      // An empty value reads as none: no entry of this package is empty.
      assert.equal(valueOf(await store.get(name)), value === '' ? undefined : value)
      assert.deepEqual(await raw().getBytes(name), Buffer.from(value, 'utf8'))
    }
  })

  if (each.family === 'node-redis') {
    test('a client whose replies are Buffers (withTypeMapping) still reads strings', async () => {
      const buffers = redisStore(raw().bufferReplies as RedisConnection)
      const name = newName()
      await buffers.set(name, UNICODE_8K, TTL_MS)
      assert.equal(valueOf(await buffers.get(name)), UNICODE_8K)
      assert.equal(await buffers.get(newName()), undefined)
      assert.equal(await buffers.takeLease(`${name}:lease`, 'owner', TTL_MS), true)
    })
  }

  test('takeLease succeeds once, for nobody else and not twice for the owner, until the lease is released', async () => {
    const lease = `${newName()}:lease`
    assert.equal(await store.takeLease(lease, 'owner-a', TTL_MS), true)
    assert.equal(await store.takeLease(lease, 'owner-b', TTL_MS), false)
    assert.equal(await store.takeLease(lease, 'owner-a', TTL_MS), false)
    assert.equal(valueOf(await store.get(lease)), 'owner-a')
    const pttl = await raw().pttl(lease)
    assert.ok(pttl > TTL_MS - 5_000 && pttl <= TTL_MS, `PTTL ${pttl}`)
    assert.equal(await store.releaseLease(lease, 'owner-a'), true)
    assert.equal(await store.takeLease(lease, 'owner-b', TTL_MS), true)
    assert.equal(valueOf(await store.get(lease)), 'owner-b')
  })

  test('takeLease succeeds again once the lease has expired', async () => {
    const lease = `${newName()}:lease`
    assert.equal(await store.takeLease(lease, 'owner-a', 1), true)
    await sleep(5)
    assert.equal(await store.takeLease(lease, 'owner-b', TTL_MS), true)
    assert.equal(valueOf(await store.get(lease)), 'owner-b')
  })

  test('takeLease does not replace an entry that holds a value', async () => {
    const name = newName()
    await store.set(name, 'value', TTL_MS)
    assert.equal(await store.takeLease(name, 'owner', TTL_MS), false)
    assert.equal(valueOf(await store.get(name)), 'value')
  })

  test('renewLease extends the lease for its owner only; of no lease it is false', async () => {
    const lease = `${newName()}:lease`
    assert.equal(await store.takeLease(lease, 'owner-a', 2_000), true)
    assert.equal(await store.renewLease(lease, 'owner-b', TTL_MS), false)
    assert.ok((await raw().pttl(lease)) <= 2_000, 'not extended by another owner')
    assert.equal(await store.renewLease(lease, 'owner', TTL_MS), false, 'a prefix of the owner is another owner')
    assert.equal(await store.renewLease(lease, 'owner-a', TTL_MS), true)
    const pttl = await raw().pttl(lease)
    assert.ok(pttl > TTL_MS - 5_000 && pttl <= TTL_MS, `PTTL ${pttl}`)
    assert.equal(valueOf(await store.get(lease)), 'owner-a')
    assert.equal(await store.renewLease(`${newName()}:lease`, 'owner-a', TTL_MS), false)
  })

  test('releaseLease deletes the lease for its owner only, once', async () => {
    const lease = `${newName()}:lease`
    await store.takeLease(lease, 'owner-a', TTL_MS)
    assert.equal(await store.releaseLease(lease, 'owner-b'), false)
    assert.equal(await store.releaseLease(lease, 'owner-a-and-more'), false)
    assert.equal(valueOf(await store.get(lease)), 'owner-a')
    assert.equal(await store.releaseLease(lease, 'owner-a'), true)
    assert.equal(valueOf(await store.get(lease)), undefined)
    assert.equal(await store.releaseLease(lease, 'owner-a'), false)
  })

  test('deleteIfEquals deletes only a value that matches exactly', async () => {
    const name = newName()
    await store.set(name, UNICODE_8K, TTL_MS)
    assert.equal(await store.deleteIfEquals(name, UNICODE_8K.slice(0, -1)), false)
    assert.equal(await store.deleteIfEquals(name, `${UNICODE_8K}x`), false)
    assert.equal(valueOf(await store.get(name)), UNICODE_8K)
    assert.equal(await store.deleteIfEquals(name, UNICODE_8K), true)
    assert.equal(valueOf(await store.get(name)), undefined)
    assert.equal(await store.deleteIfEquals(name, UNICODE_8K), false)
  })

  test('wrong arguments reject with ERR_INVALID_ARG_VALUE before anything reaches Redis', async () => {
    const name = newName()
    const wrong: [string, () => Promise<unknown>][] = [
      ['ttlMs', () => store.set(name, 'v', 0)],
      ['ttlMs', () => store.set(name, 'v', -1)],
      ['ttlMs', () => store.set(name, 'v', 1.5)],
      ['ttlMs', () => store.set(name, 'v', Number.NaN)],
      ['ttlMs', () => store.set(name, 'v', Infinity)],
      ['ttlMs', () => store.set(name, 'v', 2 ** 53)],
      ['ttlMs', () => store.set(name, 'v', '1000' as never)],
      ['ttlMs', () => store.set(name, 'v', undefined as never)],
      ['ttlMs', () => store.takeLease(name, 'owner', 0)],
      ['ttlMs', () => store.renewLease(name, 'owner', 0.5)],
      ['value', () => store.set(name, { toString: () => 'v' } as never, TTL_MS)],
      ['value', () => store.set(name, null as never, TTL_MS)],
      ['name', () => store.set(42 as never, 'v', TTL_MS)],
      ['name', () => store.get(Buffer.from(name) as never)],
      ['name', () => store.deleteIfEquals(undefined as never, 'v')],
      ['expected', () => store.deleteIfEquals(name, 1 as never)],
      ['owner', () => store.takeLease(name, 7 as never, TTL_MS)],
      ['owner', () => store.renewLease(name, null as never, TTL_MS)],
      ['owner', () => store.releaseLease(name, [] as never)],
    ]
    for (const [argument, call] of wrong) {
      let pending: Promise<unknown> | undefined
      assert.doesNotThrow(() => (pending = call()), 'a rejection, not a synchronous throw')
      await assert.rejects(pending as Promise<unknown>, (error: NodeJS.ErrnoException) => {
        assert.ok(error instanceof TypeError)
        assert.equal(error.code, 'ERR_INVALID_ARG_VALUE')
        assert.match(error.message, new RegExp(`^${argument} must be`))
        return true
      })
    }
    assert.equal(valueOf(await store.get(name)), undefined, 'nothing was written')
  })
}

describe('redisStore on one redis-server', { skip: redisSkip, timeout: 60_000 }, () => {
  let server: RedisServer
  before(async () => {
    server = await startRedisServer()
  })
  after(() => server?.stop())

  for (const each of DRIVERS) {
    describe(each.name, () => contractTests(each, 'standalone', () => each.standalone(server)))
  }

  describe('entries shared between drivers and processes', () => {
    const connections: DriverConnection[] = []
    after(() => connections.forEach((connection) => connection.close()))
    const open = async (name: Driver['packageName']) => {
      const connection = await driver(name).standalone(server)
      connections.push(connection)
      return connection
    }

    test('what node-redis writes here, ioredis 6 and 5 read in processes of their own, and the other way round, byte for byte', async () => {
      const nodeRedis = await open('redis')
      const store = redisStore(nodeRedis.redis)
      const entry = newName()
      const lease = `${entry}:lease`
      await store.set(entry, UNICODE_8K, TTL_MS)
      assert.equal(await store.takeLease(lease, 'node-redis-owner', TTL_MS), true)

      const fromIoredis6 = newName()
      const ioredis6 = await runStoreProcess('ioredis', server, [
        ['get', entry],
        ['takeLease', lease, 'ioredis-owner', TTL_MS],
        ['renewLease', lease, 'node-redis-owner', TTL_MS],
        ['releaseLease', lease, 'node-redis-owner'],
        ['takeLease', lease, 'ioredis-owner', TTL_MS],
        ['set', fromIoredis6, `${UNICODE_8K}, from ioredis 6`, TTL_MS],
      ])
      assert.deepEqual(ioredis6, { description: 'redis (ioredis)', results: [UNICODE_8K, false, true, true, true, null] })
      assert.equal(valueOf(await store.get(lease)), 'ioredis-owner')
      assert.equal(valueOf(await store.get(fromIoredis6)), `${UNICODE_8K}, from ioredis 6`)

      const ioredis5 = await runStoreProcess('ioredis-v5', server, [
        ['get', entry],
        ['get', fromIoredis6],
        ['releaseLease', lease, 'ioredis-owner'],
        ['deleteIfEquals', entry, UNICODE_8K],
      ])
      assert.deepEqual(ioredis5, { description: 'redis (ioredis)', results: [UNICODE_8K, `${UNICODE_8K}, from ioredis 6`, true, true] })
      assert.equal(valueOf(await store.get(entry)), undefined)
      assert.equal(valueOf(await store.get(lease)), undefined)

      const bytes = Buffer.from(`${UNICODE_8K}, from ioredis 6`, 'utf8')
      assert.deepEqual(await nodeRedis.getBytes(fromIoredis6), bytes)
      assert.deepEqual(await (await open('ioredis-v5')).getBytes(fromIoredis6), bytes)
      assert.equal(valueOf(await redisStore((await open('redis-v5')).redis).get(fromIoredis6)), `${UNICODE_8K}, from ioredis 6`)
    })
  })

  describe('a node-redis client that is not open', () => {
    const notOpen: [string, () => RedisConnection][] = [
      ['node-redis 6 createClient()', () => createClient6({ url: server.url })],
      ['node-redis 5 createClient()', () => createClient5({ url: server.url })],
      ['node-redis 6 createCluster()', () => createCluster6({ rootNodes: [{ url: server.url }] })],
      ['node-redis 5 createCluster()', () => createCluster5({ rootNodes: [{ url: server.url }] })],
    ]
    for (const [label, create] of notOpen) {
      test(`${label}, never connected, is a TypeError that says to await client.connect()`, () => {
        assert.throws(() => redisStore(create()), notOpenError)
      })
    }

    test('a client that was connected and then closed is refused the same way', async () => {
      const clients = [await createClient6({ url: server.url }).connect(), await createClient5({ url: server.url }).connect()]
      for (const client of clients) {
        assert.equal(redisStore(client).description, 'redis (node-redis)')
        client.destroy()
        assert.throws(() => redisStore(client), notOpenError)
      }
    })
  })
})

describe('redisStore on a 3-node Redis Cluster', { skip: clusterSkip, timeout: 60_000 }, () => {
  let cluster: RedisCluster
  before(async () => {
    cluster = await startRedisCluster()
  })
  after(() => cluster?.stop())

  for (const each of DRIVERS) {
    describe(each.name, () => {
      contractTests(each, 'cluster', () => each.cluster(cluster.nodes.slice(0, 1)))
      clusterTests(each, () => cluster)
    })
  }

  test('two names without a shared hash tag are refused together (so the check of one slot can fail)', async () => {
    const a = newName()
    const b = newName()
    for (const node of cluster.nodes) assert.match(await redisReply(node, ['EXISTS', a, b]), /^-CROSSSLOT/)
  })
})

/** What only a cluster can show: slots, and names spread over every node. */
function clusterTests(each: Driver, cluster: () => RedisCluster): void {
  let connection: DriverConnection | undefined
  let store: SharedTokenStore
  before(async () => {
    connection = await each.cluster(cluster().nodes.slice(0, 1))
    store = redisStore(connection.redis)
  })
  after(() => connection?.close())

  test('a name and its :lease name (one {hash tag}) land in one slot, on one node', async () => {
    const entry = newName()
    const lease = `${entry}:lease`
    await store.set(entry, 'entry', TTL_MS)
    assert.equal(await store.takeLease(lease, 'owner', TTL_MS), true)
    const nodes = cluster().nodes
    const [entrySlot, leaseSlot] = await Promise.all([entry, lease].map((key) => redisReply(nodes[0] as RedisNode, ['CLUSTER', 'KEYSLOT', key])))
    assert.equal(entrySlot, leaseSlot)
    // Asked for both keys at once, the node that holds them answers 2; the others redirect.
    const answers = await Promise.all(nodes.map((node) => redisReply(node, ['EXISTS', entry, lease])))
    assert.equal(answers.filter((answer) => answer === ':2').length, 1, answers.join(' | '))
    assert.ok(answers.every((answer) => answer === ':2' || answer.startsWith('-MOVED')), answers.join(' | '))
  })

  test('names on every node are written and read, whichever node the client was given', async () => {
    const prefix = `oauth2cc-spread-${randomUUID()}:`
    const names = Array.from({ length: 30 }, (_, i) => `${prefix}${i}`)
    await Promise.all(names.map((name) => store.set(name, name, TTL_MS)))
    assert.deepEqual(await Promise.all(names.map(async (name) => valueOf(await store.get(name)))), names)
    assert.deepEqual(await Promise.all(names.map((name) => store.deleteIfEquals(name, name))), names.map(() => true))
    await Promise.all(names.map((name) => store.set(name, name, TTL_MS)))
    const counts = await Promise.all(cluster().nodes.map(async (node) => Number((await redisReply(node, ['KEYS', `${prefix}*`])).slice(1))))
    assert.equal(counts.reduce((sum, count) => sum + count, 0), 30)
    assert.ok(counts.every((count) => count > 0), `keys per node: ${counts.join(', ')}`)
  })
}

describe('redisStore of something that is not a Redis connection', () => {
  const values: [string, unknown][] = [
    ['null', null],
    ['undefined', undefined],
    ['a URL', 'redis://127.0.0.1:6379'],
    ['a number', 6379],
    ['an empty object', {}],
    ['a function', () => {}],
    ['a Map', new Map()],
    ['an object with get and eval only', { get: async () => null, eval: async () => 1 }],
    ['node-redis-like without eval', { isOpen: true, get: async () => null }],
    ['ioredis-like without isCluster', { status: 'ready', get: async () => null, eval: async () => 1 }],
    ['options for a client', { url: 'redis://127.0.0.1:6379', isOpen: 'yes', get() {}, eval() {} }],
  ]
  for (const [label, value] of values) {
    test(`${label}: TypeError ERR_INVALID_ARG_VALUE naming redis`, () => {
      assert.throws(() => redisStore(value as never), (error: NodeJS.ErrnoException) => {
        assert.ok(error instanceof TypeError)
        assert.equal(error.code, 'ERR_INVALID_ARG_VALUE')
        assert.match(error.message, /^redis must be a node-redis client or cluster .* or an ioredis Redis or Cluster/)
        return true
      })
    })
  }

  test('the driver is told apart by its shape, and called the way it expects', async () => {
    const calls: unknown[][] = []
    const record = (name: string, reply: unknown) => async (...args: unknown[]) => (calls.push([name, ...args]), reply)
    const nodeRedisLike = { isOpen: true, get: record('get', null), getRange: record('getRange', Buffer.from('é')), pTTL: record('pTTL', 5_000), eval: record('eval', 1) }
    const ioredisLike = { status: 'wait', isCluster: true, get: record('get', null), getrange: record('getrange', ''), pttl: record('pttl', -2), eval: record('eval', 0) }
    const nodeRedisStore = redisStore(nodeRedisLike)
    const ioredisStore = redisStore(ioredisLike)
    assert.equal(nodeRedisStore.description, 'redis (node-redis)')
    assert.equal(redisStore({ ...nodeRedisLike, masters: [] } as RedisConnection).description, 'redis (node-redis cluster)')
    assert.equal(ioredisStore.description, 'redis (ioredis cluster)')
    assert.equal(redisStore({ ...ioredisLike, isCluster: false }).description, 'redis (ioredis)')

    assert.deepEqual(await nodeRedisStore.get('n', 100), { value: 'é', ttlMs: 5_000 })
    assert.deepEqual(await nodeRedisStore.get('n', 1), { tooLong: true }) // 'é' is 2 bytes
    assert.equal(await nodeRedisStore.takeLease('n:lease', 'owner', 1_000), true)
    assert.equal(await ioredisStore.get('n'), undefined)
    assert.equal(await ioredisStore.takeLease('n:lease', 'owner', 1_000), false)
    const script = calls.find(([name]) => name === 'eval')?.[1]
    assert.deepEqual(calls, [
      ['getRange', 'n', 0, 100],
      ['pTTL', 'n'],
      ['getRange', 'n', 0, 1],
      ['pTTL', 'n'],
      ['eval', script, { keys: ['n:lease'], arguments: ['owner', '1000'] }],
      ['getrange', 'n', 0, 1536 * 1024],
      ['pttl', 'n'],
      ['eval', script, 1, 'n:lease', 'owner', '1000'],
    ])
    assert.match(String(script), /'SET', KEYS\[1\], ARGV\[1\], 'NX', 'PX', ARGV\[2\]/)
  })

  test('a driver that throws or answers something unexpected makes the call reject, never throw', async () => {
    const boom = () => {
      throw new Error('boom')
    }
    const throwing = redisStore({ isOpen: true, get: boom, getRange: boom, pTTL: boom, eval: boom } as never)
    for (const [, pending] of everyCall(throwing, 'n')) await assert.rejects(pending, /boom/)
    const odd = redisStore({ status: 'ready', isCluster: false, get: async () => 42, getrange: async () => 42, pttl: async () => 1, eval: async () => 'OK' })
    await assert.rejects(odd.get('n'), /Redis answered GET with number/)
    await assert.rejects(odd.takeLease('n', 'owner', 1_000), /Redis answered a store script with string/)
  })
})

describe('redisStore on a redis-server that was killed', { skip: redisSkip, timeout: 30_000 }, () => {
  let server: RedisServer
  const connections: DriverConnection[] = []
  before(async () => {
    server = await startRedisServer()
  })
  after(async () => {
    for (const connection of connections) connection.close()
    await server?.stop()
  })
  const open = async (each: Driver, failFast: boolean) => {
    const connection = await each.standalone(server, { failFast })
    connections.push(connection)
    return { label: each.name, store: redisStore(connection.redis) }
  }

  test('with the drivers\' defaults, every call rejects or waits for Redis (no throw, no answer), and works once Redis is back', async () => {
    const stores = await Promise.all(DRIVERS.map((each) => open(each, false)))
    const name = newName()
    for (const { store } of stores) await store.set(name, 'before', TTL_MS)
    await server.kill('SIGKILL')
    const outcomes = await Promise.all(stores.flatMap(({ label, store }) => everyCall(store, name).map(async ([method, call]) => [`${label} ${method}`, await outcomeWithin(call, 1_500)] as const)))
    for (const [call, outcome] of outcomes) assert.notEqual(outcome, 'resolved', `${call} answered while Redis was down`)
    await server.restart()
    for (const { label, store } of stores) {
      // A name of its own: the calls the other drivers queued while Redis was down (a set, then a
      // delete, of `name`) run whenever each reconnects, and would race with this check on `name`.
      const afterName = `${name}:${label}`
      const giveUpAt = performance.now() + 10_000
      while ((await outcomeWithin(store.set(afterName, 'after', TTL_MS), 500)) !== 'resolved') {
        assert.ok(performance.now() < giveUpAt, `${label} did not reconnect within 10 s`)
        await sleep(50)
      }
      assert.equal(valueOf(await store.get(afterName)), 'after')
    }
  })

  test('with the drivers\' fail-fast options (no offline queue), every call rejects', async () => {
    await server.restart()
    const stores = await Promise.all(DRIVERS.map((each) => open(each, true)))
    const name = newName()
    for (const { store } of stores) await store.set(name, 'before', TTL_MS)
    await server.kill('SIGKILL')
    const outcomes = await Promise.all(stores.flatMap(({ label, store }) => everyCall(store, name).map(async ([method, call]) => [`${label} ${method}`, await outcomeWithin(call, 2_000)] as const)))
    assert.deepEqual(outcomes.filter(([, outcome]) => outcome !== 'rejected'), [])
  })
})

/** One call of each method, made at once: a synchronous throw fails the test here. */
function everyCall(store: SharedTokenStore, name: string): [string, Promise<unknown>][] {
  const calls: [string, () => Promise<unknown>][] = [
    ['get', () => store.get(name)],
    ['set', () => store.set(name, 'value', TTL_MS)],
    ['deleteIfEquals', () => store.deleteIfEquals(name, 'value')],
    ['takeLease', () => store.takeLease(`${name}:lease`, 'owner', TTL_MS)],
    ['renewLease', () => store.renewLease(`${name}:lease`, 'owner', TTL_MS)],
    ['releaseLease', () => store.releaseLease(`${name}:lease`, 'owner')],
  ]
  return calls.map(([method, call]) => {
    let pending: Promise<unknown> | undefined
    assert.doesNotThrow(() => (pending = call()), `${method} threw synchronously`)
    assert.ok(pending instanceof Promise, `${method} returned a promise`)
    return [method, pending]
  })
}

/** How `promise` stands after at most `ms`; a later rejection is handled (a closed connection rejects what waits). */
async function outcomeWithin(promise: Promise<unknown>, ms: number): Promise<'resolved' | 'rejected' | 'pending'> {
  let timer: NodeJS.Timeout | undefined
  const stillPending = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)))
  const outcome = await Promise.race([promise.then(() => 'resolved' as const, () => 'rejected' as const), stillPending])
  clearTimeout(timer)
  return outcome
}

function notOpenError(error: NodeJS.ErrnoException): boolean {
  assert.ok(error instanceof TypeError)
  assert.equal(error.code, 'ERR_INVALID_ARG_VALUE')
  assert.match(error.message, /^redis is a node-redis client that is not open: await client\.connect\(\) first/)
  return true
}

const STORE_PROCESS = fileURLToPath(new URL('./support/store-process.ts', import.meta.url))

/** Runs `calls` on a store of driver `packageName` in a new process (see support/store-process.ts). */
function runStoreProcess(packageName: Driver['packageName'], node: RedisNode, calls: unknown[][]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', STORE_PROCESS, packageName, node.host, String(node.port)], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (code !== 0) reject(new Error(`store process (${packageName}) exited with code ${code}, signal ${signal}:\n${stderr}`))
      else resolve(JSON.parse(stdout))
    })
    child.stdin.end(JSON.stringify(calls))
  })
}

/** The value of a store's `get` answer: the string, or the `value` of a `{ value, ttlMs }`. */
function valueOf(answer: Awaited<ReturnType<SharedTokenStore['get']>>): string | undefined {
  if (answer === null || answer === undefined) return undefined
  return typeof answer === 'string' ? answer : (answer.value ?? undefined)
}
