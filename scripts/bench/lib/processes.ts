// Starting the benchmark's processes from run.ts: a server process, and measuring children wired to it.
import type { MetadataRequests, ServerTask, ServerUsage } from '../children/server.js'
import type { ServerInfo } from '../subjects/servers.js'
import { messageOf, startChild, type Child, type ChildOptions, type Outcome } from './child.js'

const running = new Set<Child<unknown>>()
const cleanups = new Set<() => void>()

/** Kills every child still running (on Ctrl-C, or when run.ts ends), and runs every cleanup registered. */
export function killAll(): void {
  for (const child of running) child.kill()
  running.clear()
  for (const cleanup of cleanups) cleanup()
  cleanups.clear()
}

/**
 * Registers a synchronous cleanup for processes started otherwise than by {@link spawnTracked} (the
 * fleet's workers and redis-server), run by {@link killAll}; returns its unregistration.
 */
export function onKillAll(cleanup: () => void): () => void {
  cleanups.add(cleanup)
  return () => cleanups.delete(cleanup)
}

/** Starts `script` (in scripts/bench/children/), to be killed by {@link killAll} if still running. */
export function spawnTracked<T>(script: string, task: unknown, options: ChildOptions): Child<T> {
  const child = startChild<T>(script, task, options)
  running.add(child as Child<unknown>)
  void child.outcome.then(() => running.delete(child as Child<unknown>))
  return child
}

export interface ServerProcess {
  readonly info: ServerInfo
  tokenRequests(): Promise<number>
  /** GETs of the metadata locations so far (counting servers only). */
  metadataRequests(): Promise<MetadataRequests>
  usage(): Promise<ServerUsage>
  stop(): Promise<void>
}

const SERVER_START_MS = 30_000
const SERVER_STOP_MS = 5_000

/** Starts a server in its own process (children/server.ts) and waits until it listens. */
export async function startServerProcess(task: ServerTask): Promise<ServerProcess> {
  const child = spawnTracked<never>('server.ts', task, { timeoutMs: 60 * 60_000 })
  const info = await new Promise<ServerInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${task.kind} did not start in ${SERVER_START_MS / 1000} s`)), SERVER_START_MS)
    child.channel.on('ready', (value) => {
      clearTimeout(timer)
      resolve(value as ServerInfo)
    })
    void child.outcome.then((outcome) => {
      clearTimeout(timer)
      reject(new Error(`${task.kind} failed to start: ${outcome.ok ? 'exited' : outcome.error}`))
    })
  }).catch((error: unknown) => {
    child.kill()
    throw error
  })
  return {
    info,
    tokenRequests: () => child.channel.request<number>('tokenRequests'),
    metadataRequests: () => child.channel.request<MetadataRequests>('metadataRequests'),
    usage: () => child.channel.request<ServerUsage>('usage'),
    async stop() {
      const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()))
      if (child.process.exitCode !== null || child.process.signalCode !== null) return
      const timer = setTimeout(() => child.kill(), SERVER_STOP_MS)
      child.channel.request('stop').catch(() => child.kill())
      await exited
      clearTimeout(timer)
    },
  }
}

/**
 * Runs a child against a fresh server process of `server`: the server starts, the child measures,
 * the server stops. Any failure (the server's or the child's) is the outcome, never a throw.
 */
export async function withServer<T>(
  server: ServerTask,
  run: (server: ServerProcess) => Child<T>,
): Promise<Outcome<T>> {
  let process: ServerProcess | undefined
  try {
    process = await startServerProcess(server)
    const child = run(process)
    return await child.outcome
  } catch (error) {
    return { ok: false, error: messageOf(error) }
  } finally {
    await process?.stop()
  }
}
