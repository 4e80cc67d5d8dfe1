// Real redis-server processes for tests: one server on a free loopback port, or a 3-node cluster.
// Nothing is persisted (no RDB, no AOF), each server has its own temporary directory, every wait is
// bounded, and every process is killed by `stop()` and, failing that, when the test process exits:
// scripts/fleet/redis-process.ts runs them, for the demo and the benchmark too.
//
// Where `redis-server` (or `redis-cli`, for the cluster) is not installed, the tests that need it
// are skipped with a message saying how to install it; under CI (`CI=true`) a missing Redis fails
// the run instead. In a test file: `describe(..., { skip: redisSkip }, ...)`; for the cluster,
// `const clusterSkip = skipWithoutRedis('cluster')`, then `describe(..., { skip: clusterSkip }, ...)`.
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { sendRedisCommand, type RedisAddress } from '../../scripts/fleet/redis-command.js'
import {
  REDIS_INSTALL_HINT,
  redisToolInstalled,
  runRedisCli,
  startRedisProcess,
  type RedisProcessOptions,
  type RedisTool,
} from '../../scripts/fleet/redis-process.js'

const CLUSTER_TIMEOUT_MS = 20_000

/** Where a server listens. */
export type RedisNode = RedisAddress

/** A running redis-server. */
export interface RedisServer extends RedisNode {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string
  /** Kills the server (it keeps no data) and removes its directory; safe to call twice. */
  stop(): Promise<void>
  /**
   * Sends `signal` (default `SIGKILL`) and, unless it is `SIGSTOP` or `SIGCONT`, waits for the process
   * to exit. The server stays stopped until {@link restart}.
   */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Starts the server again, empty, on the same port; kills it first if it still runs. */
  restart(): Promise<void>
}

/** How to start a server: `clusterEnabled` (default false) starts it as a cluster node. */
export type RedisServerOptions = RedisProcessOptions

/** A running 3-node cluster (3 masters, no replicas), every slot assigned. */
export interface RedisCluster {
  readonly nodes: readonly RedisServer[]
  /** Kills every node. */
  stop(): Promise<void>
}

/**
 * Why tests that need Redis cannot run here, for `describe(..., { skip })`, or `false` when they can.
 * `needs: 'cluster'` also needs `redis-cli`. When something is missing the reason is printed loudly
 * once, and under CI (`CI=true`) a failing test is registered in the calling file, so a CI run without
 * Redis fails instead of passing with the tests skipped.
 */
export function skipWithoutRedis(needs: 'server' | 'cluster' = 'server'): string | false {
  const tools: RedisTool[] = needs === 'cluster' ? ['redis-server', 'redis-cli'] : ['redis-server']
  const missing = tools.filter((tool) => !redisToolInstalled(tool))
  if (missing.length === 0) return false
  const reason = `${missing.join(' and ')} not found on PATH: the tests that need ${needs === 'cluster' ? 'a Redis cluster' : 'Redis'} are skipped; to run them: ${REDIS_INSTALL_HINT}`
  if (process.env.CI === 'true') {
    for (const command of missing.filter((each) => !registeredFailures.has(each))) {
      registeredFailures.add(command)
      test(`${command} is installed (required when CI=true)`, () => {
        throw new Error(`${command} not found on PATH; with CI=true the Redis tests must run, not be skipped: ${REDIS_INSTALL_HINT}`)
      })
    }
  } else if (!warned.has(reason)) {
    warned.add(reason)
    process.stderr.write(`\n${'!'.repeat(100)}\n!!! ${reason}\n${'!'.repeat(100)}\n\n`)
  }
  return reason
}

const registeredFailures = new Set<string>()
const warned = new Set<string>()

/**
 * {@link skipWithoutRedis} for one server, for `describe(..., { skip: redisSkip }, ...)`. Under CI
 * without `redis-server`, importing this module registers the failing test.
 */
export const redisSkip: string | false = skipWithoutRedis('server')

/**
 * Starts a redis-server on a free port of 127.0.0.1, without persistence, and resolves once it
 * answers `PING`. A port taken by another process in the meantime is retried with a new one.
 */
export function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  return startRedisProcess(options)
}

/**
 * Starts three cluster-enabled servers, joins them with `redis-cli --cluster create` (no replicas)
 * and resolves once every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  const nodes: RedisServer[] = []
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()))
  }
  try {
    for (let i = 0; i < 3; i++) nodes.push(await startRedisServer({ clusterEnabled: true }))
    const create = ['--cluster', 'create', ...nodes.map((node) => `${node.host}:${node.port}`), '--cluster-replicas', '0', '--cluster-yes']
    await runRedisCli(create, CLUSTER_TIMEOUT_MS)
    const giveUpAt = performance.now() + CLUSTER_TIMEOUT_MS
    for (const node of nodes) {
      while (!(await redisReply(node, ['CLUSTER', 'INFO']).catch(() => '')).includes('cluster_state:ok')) {
        if (performance.now() > giveUpAt) throw new Error(`cluster node ${node.port} not in cluster_state:ok within ${CLUSTER_TIMEOUT_MS} ms`)
        await sleep(50)
      }
    }
  } catch (error) {
    await stop()
    throw error
  }
  return { nodes, stop }
}

/**
 * Sends one command over a new connection and resolves with the reply as it came: a simple string,
 * error or integer line (`+PONG`, `-MOVED ...`, `:3`), a bulk string's text, or an array's first line
 * only (`*3`, the count). For the helper's own checks and a test's look at one node of a cluster,
 * which answers for its own keys only.
 */
export async function redisReply(node: RedisNode, args: readonly string[], timeoutMs = 2_000): Promise<string> {
  const { type, text } = await sendRedisCommand(node, args, timeoutMs)
  return type === '$' ? text : `${type}${text}`
}
