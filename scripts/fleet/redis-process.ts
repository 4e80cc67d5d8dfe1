// A real redis-server, for the benchmark, the demo and the tests (test/helpers/redis-server.ts builds
// on this file): one process on a free loopback port, nothing persisted (no RDB, no AOF, a temporary
// directory), every wait bounded, and the process killed by `stop()` or, failing that, when this
// process exits, however it ends. `command()` sends one command over a connection of its own
// (FLUSHALL, INFO, CONFIG RESETSTAT), so that the caller needs no Redis driver and adds nothing to
// the connections under test.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { sendRedisCommand } from './redis-command.js'

/** Every server is on this address. */
const HOST = '127.0.0.1'
const START_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 5_000
/** A port another process took between our probe and redis-server's bind: try another this many times. */
const PORT_ATTEMPTS = 5
/** A cluster node also listens on its port + 10000 (the cluster bus). */
const CLUSTER_BUS_OFFSET = 10_000

/** How to get redis-server, for the message when it is missing. */
export const REDIS_INSTALL_HINT = 'apt-get install -y redis-server on Debian and Ubuntu, brew install redis on macOS (others: https://redis.io/docs/latest/operate/oss_and_stack/install/)'

/** A running redis-server. */
export interface RedisProcess {
  readonly host: string
  readonly port: number
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string
  /** The server's version, from `redis-server --version`. */
  readonly version: string
  /**
   * Sends one command and resolves with its reply: a simple string, an integer's digits, a bulk
   * string's text, or an array's count; an error reply is a rejection.
   */
  command(args: readonly string[], timeoutMs?: number): Promise<string>
  /**
   * Sends `signal` (default `SIGKILL`: as a crash would) and, unless it is `SIGSTOP` or `SIGCONT`,
   * waits for the process to exit; it then stays down until {@link restart}.
   */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Starts the server again, empty, on the same port; kills it first if it still runs. */
  restart(): Promise<void>
  /** Kills the server if it runs and removes its directory; safe to call twice. */
  stop(): Promise<void>
}

/** How to start a server. */
export interface RedisProcessOptions {
  /**
   * Start it as a cluster node (`cluster-enabled yes`); its port + 10000 (the cluster bus) is then free too.
   *
   * @default false
   * @example
   * const node = await startRedisProcess({ clusterEnabled: true })
   */
  readonly clusterEnabled?: boolean
}

/** A program of the Redis distribution that this file runs. */
export type RedisTool = 'redis-server' | 'redis-cli'

const installed = new Map<RedisTool, boolean>()

/**
 * Whether `tool` can be run here (`<tool> --version` succeeds); asked once a process.
 *
 * @example
 * if (!redisToolInstalled('redis-cli')) console.log(`no redis-cli: ${REDIS_INSTALL_HINT}`)
 */
export function redisToolInstalled(tool: RedisTool): boolean {
  let known = installed.get(tool)
  if (known === undefined) {
    const result = spawnSync(tool, ['--version'], { stdio: 'ignore', timeout: 5_000 })
    known = result.error === undefined && result.status === 0
    installed.set(tool, known)
  }
  return known
}

/**
 * Whether `redis-server` can be run here.
 *
 * @example
 * if (!redisServerInstalled()) throw new Error(`redis-server not found: ${REDIS_INSTALL_HINT}`)
 */
export function redisServerInstalled(): boolean {
  return redisToolInstalled('redis-server')
}

let serverVersion: string | undefined

/**
 * Starts a redis-server on a free port of 127.0.0.1, without persistence, and resolves once it
 * answers `PING`. A port taken by another process in the meantime is retried with a new one.
 *
 * @example
 * const redis = await startRedisProcess()
 * await redis.command(['FLUSHALL'])
 * await redis.stop()
 */
export async function startRedisProcess(options: RedisProcessOptions = {}): Promise<RedisProcess> {
  const clusterEnabled = options.clusterEnabled === true
  serverVersion ??= /v=(\S+)/.exec(spawnSync('redis-server', ['--version'], { encoding: 'utf8', timeout: 5_000 }).stdout ?? '')?.[1] ?? 'unknown'
  let lastError: unknown
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const port = await freePort(clusterEnabled)
    const dir = mkdtempSync(join(tmpdir(), 'oauth2cc-redis-'))
    directories.add(dir)
    const args = serverArguments(port, dir, clusterEnabled)
    try {
      const child = await launch(args, port)
      return managedProcess(child, args, port, dir, serverVersion)
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
 * Runs `redis-cli` with `args`, killed after `timeoutMs` (and when this process exits); resolves
 * with its output, rejects with it when the command fails.
 *
 * @example
 * await runRedisCli(['--cluster', 'create', '127.0.0.1:7000', '127.0.0.1:7001', '127.0.0.1:7002', '--cluster-yes'], 20_000)
 */
export function runRedisCli(args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    track(child)
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
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

function serverArguments(port: number, dir: string, clusterEnabled: boolean): string[] {
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--logfile', '']
  if (clusterEnabled) args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000')
  return args
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

/** Starts redis-server with `args`; resolves once it answers PING, rejects if it exits first. */
async function launch(args: readonly string[], port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  track(child)
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let exited: string | undefined
  child.once('error', (error) => (exited = `could not start: ${error.message}`))
  child.once('exit', (code, signal) => (exited ??= `exited (code ${code}, signal ${signal})`))
  const giveUpAt = performance.now() + START_TIMEOUT_MS
  while (exited === undefined) {
    const reply = await sendRedisCommand({ host: HOST, port }, ['PING'], 500).catch(() => undefined)
    if (reply?.type === '+' && reply.text === 'PONG') {
      // Output is kept only for a failed start; neither it nor the server holds this process open.
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
  throw new Error(`redis-server on port ${port} ${exited}:\n${output}`)
}

function managedProcess(first: ChildProcess, args: readonly string[], port: number, dir: string, version: string): RedisProcess {
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
    version,
    async command(command, timeoutMs) {
      const { type, text } = await sendRedisCommand({ host: HOST, port }, command, timeoutMs)
      if (type === '-') throw new Error(`Redis: ${text}`)
      return text
    },
    kill,
    async restart() {
      if (stopped) throw new Error('redis-server was stopped: start a new one')
      await kill('SIGKILL')
      child = await launch(args, port)
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

/** `INFO commandstats` as numbers: calls and microseconds by command (`get`, `eval`, ...). */
export async function commandStats(redis: RedisProcess): Promise<Record<string, { calls: number; usec: number }>> {
  const text = await redis.command(['INFO', 'commandstats'])
  const stats: Record<string, { calls: number; usec: number }> = {}
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    stats[match[1] as string] = { calls: Number(match[2]), usec: Number(match[3]) }
  }
  return stats
}

/** CPU seconds the redis-server process has used (user + system), from `INFO cpu`. */
export async function redisCpuSeconds(redis: RedisProcess): Promise<number> {
  const text = await redis.command(['INFO', 'cpu'])
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? Number.NaN)
  return field('used_cpu_user') + field('used_cpu_sys')
}

// Every process started here, and every directory, goes when this process does, however it ends.
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
