// Real redis-server processes for tests: one server on a free loopback port, or a 3-node cluster.
// Nothing is persisted (no RDB, no AOF), each server has its own temporary directory, every wait is
// bounded, and every process is killed by `stop()` and, failing that, when the test process exits.
//
// Where `redis-server` (or `redis-cli`, for the cluster) is not installed, the tests that need it
// are skipped with a message saying how to install it; under CI (`CI=true`) a missing Redis fails
// the run instead. In a test file: `describe(..., { skip: redisSkip }, ...)`; for the cluster,
// `const clusterSkip = skipWithoutRedis('cluster')`, then `describe(..., { skip: clusterSkip }, ...)`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'

/** Every server is on this address. */
const HOST = '127.0.0.1'
const START_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 5_000
const CLUSTER_TIMEOUT_MS = 20_000
/** A port another process took between our probe and redis-server's bind: try another this many times. */
const PORT_ATTEMPTS = 5
/** A cluster node also listens on its port + 10000 (the cluster bus). */
const CLUSTER_BUS_OFFSET = 10_000

const INSTALL_HINT = 'apt-get install -y redis-server (Debian, Ubuntu) or brew install redis (macOS)'

/** Where a server listens. */
export interface RedisNode {
  readonly host: string
  readonly port: number
}

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

/** How to start a server. */
export interface RedisServerOptions {
  /** Start it as a cluster node (`cluster-enabled yes`); its port + 10000 is then free too. @default false */
  readonly clusterEnabled?: boolean
}

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
  const missing = (needs === 'cluster' ? ['redis-server', 'redis-cli'] : ['redis-server']).filter((command) => !isInstalled(command))
  if (missing.length === 0) return false
  const reason = `${missing.join(' and ')} not found on PATH: the tests that need ${needs === 'cluster' ? 'a Redis cluster' : 'Redis'} are skipped; to run them: ${INSTALL_HINT}`
  if (process.env.CI === 'true') {
    for (const command of missing.filter((each) => !registeredFailures.has(each))) {
      registeredFailures.add(command)
      test(`${command} is installed (required when CI=true)`, () => {
        throw new Error(`${command} not found on PATH; with CI=true the Redis tests must run, not be skipped: ${INSTALL_HINT}`)
      })
    }
  } else if (!warned.has(reason)) {
    warned.add(reason)
    process.stderr.write(`\n${'!'.repeat(100)}\n!!! ${reason}\n${'!'.repeat(100)}\n\n`)
  }
  return reason
}

const installed = new Map<string, boolean>()
const registeredFailures = new Set<string>()
const warned = new Set<string>()

/**
 * {@link skipWithoutRedis} for one server, for `describe(..., { skip: redisSkip }, ...)`. Under CI
 * without `redis-server`, importing this module registers the failing test.
 */
export const redisSkip: string | false = skipWithoutRedis('server')

function isInstalled(command: string): boolean {
  let known = installed.get(command)
  if (known === undefined) {
    const result = spawnSync(command, ['--version'], { stdio: 'ignore', timeout: 5_000 })
    known = result.error === undefined && result.status === 0
    installed.set(command, known)
  }
  return known
}

/**
 * Starts a redis-server on a free port of 127.0.0.1, without persistence, and resolves once it
 * answers `PING`. A port taken by another process in the meantime is retried with a new one.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const clusterEnabled = options.clusterEnabled === true
  let lastError: unknown
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const port = await freePort(clusterEnabled)
    const dir = mkdtempSync(join(tmpdir(), 'oauth2cc-redis-'))
    directories.add(dir)
    const configFile = join(dir, 'redis.conf')
    writeFileSync(configFile, serverConfig(port, dir, clusterEnabled))
    try {
      const child = await launch(configFile, port)
      return managedServer(port, dir, configFile, child)
    } catch (error) {
      rmSync(dir, { recursive: true, force: true })
      directories.delete(dir)
      if (!(error instanceof PortTakenError)) throw error
      lastError = error
    }
  }
  throw new Error(`redis-server found no free port in ${PORT_ATTEMPTS} attempts`, { cause: lastError })
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
    await runRedisCli(['--cluster', 'create', ...nodes.map((node) => `${node.host}:${node.port}`), '--cluster-replicas', '0', '--cluster-yes'])
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

function serverConfig(port: number, dir: string, clusterEnabled: boolean): string {
  const lines = [
    `port ${port}`,
    `bind ${HOST}`,
    'save ""',
    'appendonly no',
    `dir "${dir}"`,
    'daemonize no',
    'logfile ""',
  ]
  if (clusterEnabled) lines.push('cluster-enabled yes', 'cluster-config-file nodes.conf', 'cluster-node-timeout 5000')
  return `${lines.join('\n')}\n`
}

/** The server's port was taken before it could bind it. */
class PortTakenError extends Error {}

/** A loopback port nothing listens on (and, for a cluster node, its bus port too), by binding port 0. */
async function freePort(withBusPort: boolean): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await bindAndRelease(0)
    if (!withBusPort) return port
    if (port + CLUSTER_BUS_OFFSET <= 65_535 && (await bindAndRelease(port + CLUSTER_BUS_OFFSET).then(() => true, () => false))) return port
  }
  throw new Error('no free port pair for a cluster node')
}

function bindAndRelease(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(port, HOST, () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** Starts redis-server with its config file; resolves once it answers PING, rejects if it exits first. */
async function launch(configFile: string, port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', [configFile], { stdio: ['ignore', 'pipe', 'pipe'] })
  track(child)
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let exited: { code: number | null; signal: NodeJS.Signals | null; error?: Error } | undefined
  child.once('error', (error) => (exited = { code: null, signal: null, error }))
  child.once('exit', (code, signal) => (exited ??= { code, signal }))
  const giveUpAt = performance.now() + START_TIMEOUT_MS
  while (exited === undefined) {
    if ((await redisReply({ host: HOST, port }, ['PING'], 500).catch(() => '')) === '+PONG') {
      // Output is kept only for a failed start; it must not hold the test process open.
      child.stdout?.removeListener('data', keep).resume()
      child.stderr?.removeListener('data', keep).resume()
      unrefChild(child)
      return child
    }
    if (performance.now() > giveUpAt) {
      await stopProcess(child)
      throw new Error(`redis-server on port ${port} did not answer PING within ${START_TIMEOUT_MS} ms:\n${output}`)
    }
    await sleep(20)
  }
  if (/address already in use/i.test(output)) throw new PortTakenError(`port ${port} taken:\n${output}`)
  const how = exited.error === undefined ? `exited (code ${exited.code}, signal ${exited.signal})` : `could not start: ${exited.error.message}`
  throw new Error(`redis-server on port ${port} ${how}:\n${output}`)
}

function managedServer(port: number, dir: string, configFile: string, first: ChildProcess): RedisServer {
  let child: ChildProcess | undefined = first
  let stopped = false
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const running = child
    if (running === undefined) return
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      running.kill(signal)
      return
    }
    child = undefined
    await stopProcess(running, signal)
  }
  return {
    host: HOST,
    port,
    url: `redis://${HOST}:${port}`,
    kill,
    async restart() {
      if (stopped) throw new Error('redis-server was stopped: start a new one')
      await kill('SIGKILL')
      child = await launch(configFile, port)
    },
    async stop() {
      stopped = true
      await kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
      directories.delete(dir)
    },
  }
}

/** Sends `signal` and waits for the exit; SIGKILL if the process outlives {@link STOP_TIMEOUT_MS}. */
async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  await exited
  clearTimeout(timer)
}

function unrefChild(child: ChildProcess): void {
  child.unref()
  for (const stream of [child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.()
}

/** Runs redis-cli, bounded in time; rejects with its output when it fails. */
function runRedisCli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    track(child)
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    const timer = setTimeout(() => child.kill('SIGKILL'), CLUSTER_TIMEOUT_MS)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve(output)
      else reject(new Error(`redis-cli ${args.join(' ')} failed (code ${code}, signal ${signal}):\n${output.slice(-4_000)}`))
    })
  })
}

/**
 * Sends one command over a new connection and resolves with the reply as it came: a simple string,
 * error or integer line (`+PONG`, `-MOVED ...`, `:3`), a bulk string's text, or an array's first line
 * only (`*3`, the count). For the helper's own checks and a test's look at one node of a cluster,
 * which answers for its own keys only.
 */
export function redisReply(node: RedisNode, args: readonly string[], timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(node.port, node.host)
    let data = Buffer.alloc(0)
    const finish = (error: Error | undefined, reply?: string) => {
      clearTimeout(timer)
      socket.destroy()
      if (error === undefined) resolve(reply ?? '')
      else reject(error)
    }
    const timer = setTimeout(() => finish(new Error(`no reply to ${args[0]} from ${node.host}:${node.port} within ${timeoutMs} ms`)), timeoutMs)
    socket.once('error', (error) => finish(error))
    socket.once('close', () => finish(new Error(`${node.host}:${node.port} closed the connection`)))
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
      const reply = completeReply(data)
      if (reply !== undefined) finish(undefined, reply)
    })
    socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`)
  })
}

/** The reply in `data` once it is whole; `undefined` while more is to come. */
function completeReply(data: Buffer): string | undefined {
  const lineEnd = data.indexOf('\r\n')
  if (lineEnd === -1) return undefined
  const line = data.subarray(0, lineEnd).toString('utf8')
  if (line[0] !== '$') return line
  const length = Number(line.slice(1))
  if (length < 0) return ''
  const start = lineEnd + 2
  return data.length >= start + length + 2 ? data.subarray(start, start + length).toString('utf8') : undefined
}

// Every process started here, and every directory, goes when the test process does, however it ends.
const children = new Set<ChildProcess>()
const directories = new Set<string>()
let hooked = false

function track(child: ChildProcess): void {
  children.add(child)
  child.once('exit', () => children.delete(child))
  if (hooked) return
  hooked = true
  process.once('exit', killAll)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAll()
      process.kill(process.pid, signal)
    }
    process.once(signal, onSignal)
  }
}

function killAll(): void {
  for (const child of children) child.kill('SIGKILL')
  for (const dir of directories) rmSync(dir, { recursive: true, force: true })
}
