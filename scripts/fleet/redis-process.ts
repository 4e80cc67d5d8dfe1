// A real redis-server for the benchmark and the demo (the tests have their own, in test/helpers/):
// one process on a free loopback port, nothing persisted (no RDB, no AOF, a temporary directory),
// every wait bounded, and the process killed by `stop()` or, failing that, when this process exits.
// `command()` sends one command over a connection of its own (FLUSHALL, INFO, CONFIG RESETSTAT), so
// that the parent needs no Redis driver and adds nothing to the workers' connections.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

const HOST = '127.0.0.1'
const START_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 5_000
const PORT_ATTEMPTS = 5

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
  /** Sends one command and resolves with its reply: a simple string, an integer's digits, or a bulk string's text. */
  command(args: readonly string[], timeoutMs?: number): Promise<string>
  /** Kills the server (SIGKILL: as a crash would) and waits for it to exit; it stays down. */
  kill(): Promise<void>
  /** Kills the server if it runs and removes its directory; safe to call twice. */
  stop(): Promise<void>
}

/** Whether `redis-server` can be run here. */
export function redisServerInstalled(): boolean {
  const result = spawnSync('redis-server', ['--version'], { stdio: 'ignore', timeout: 5_000 })
  return result.error === undefined && result.status === 0
}

/** Starts a redis-server on a free port of 127.0.0.1 and resolves once it answers PING. */
export async function startRedisProcess(): Promise<RedisProcess> {
  const version = /v=(\S+)/.exec(spawnSync('redis-server', ['--version'], { encoding: 'utf8', timeout: 5_000 }).stdout ?? '')?.[1] ?? 'unknown'
  let lastError: unknown
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const port = await freePort()
    const dir = mkdtempSync(join(tmpdir(), 'oauth2cc-fleet-redis-'))
    directories.add(dir)
    try {
      const child = await launch(port, dir)
      return managed(child, port, dir, version)
    } catch (error) {
      rmSync(dir, { recursive: true, force: true })
      directories.delete(dir)
      lastError = error
      if (!(error instanceof PortTakenError)) throw error
    }
  }
  throw new Error(`redis-server found no free port in ${PORT_ATTEMPTS} attempts`, { cause: lastError })
}

class PortTakenError extends Error {}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

async function launch(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--logfile', ''],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
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
    if ((await reply(port, ['PING'], 500).catch(() => '')) === 'PONG') {
      child.stdout?.removeListener('data', keep).resume()
      child.stderr?.removeListener('data', keep).resume()
      return child
    }
    if (performance.now() > giveUpAt) {
      await stopProcess(child)
      throw new Error(`redis-server on port ${port} did not answer PING within ${START_TIMEOUT_MS} ms:\n${output}`)
    }
    await sleep(20)
  }
  if (/address already in use/i.test(output)) throw new PortTakenError(`port ${port} taken`)
  throw new Error(`redis-server on port ${port} ${exited}:\n${output}`)
}

function managed(first: ChildProcess, port: number, dir: string, version: string): RedisProcess {
  let child: ChildProcess | undefined = first
  const kill = async () => {
    const running = child
    child = undefined
    if (running !== undefined) await stopProcess(running)
  }
  return {
    host: HOST,
    port,
    url: `redis://${HOST}:${port}`,
    version,
    command: (args, timeoutMs) => reply(port, args, timeoutMs),
    kill,
    async stop() {
      await kill()
      rmSync(dir, { recursive: true, force: true })
      directories.delete(dir)
    },
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGKILL')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  await exited
  clearTimeout(timer)
}

/** One command over a new connection: the reply's text (`PONG`, `OK`, `42`, a bulk string), or a rejection with an error reply. */
function reply(port: number, args: readonly string[], timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, HOST)
    let data = Buffer.alloc(0)
    const finish = (error: Error | undefined, text?: string) => {
      clearTimeout(timer)
      socket.destroy()
      if (error === undefined) resolve(text ?? '')
      else reject(error)
    }
    const timer = setTimeout(() => finish(new Error(`no reply to ${args[0]} from ${HOST}:${port} within ${timeoutMs} ms`)), timeoutMs)
    socket.once('error', (error) => finish(error))
    socket.once('close', () => finish(new Error(`${HOST}:${port} closed the connection`)))
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
      const lineEnd = data.indexOf('\r\n')
      if (lineEnd === -1) return
      const line = data.subarray(0, lineEnd).toString('utf8')
      if (line[0] === '-') return finish(new Error(`Redis: ${line.slice(1)}`))
      if (line[0] !== '$') return finish(undefined, line.slice(1))
      const length = Number(line.slice(1))
      if (length < 0) return finish(undefined, '')
      const start = lineEnd + 2
      if (data.length >= start + length + 2) finish(undefined, data.subarray(start, start + length).toString('utf8'))
    })
    socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`)
  })
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

// Every redis-server started here, and its directory, goes when this process does, however it ends.
const children = new Set<ChildProcess>()
const directories = new Set<string>()
let hooked = false

function track(child: ChildProcess): void {
  children.add(child)
  child.once('exit', () => children.delete(child))
  if (hooked) return
  hooked = true
  process.once('exit', () => {
    for (const each of children) each.kill('SIGKILL')
    for (const dir of directories) rmSync(dir, { recursive: true, force: true })
  })
}
