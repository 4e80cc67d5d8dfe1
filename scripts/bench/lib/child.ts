// Child processes of the benchmark: each measurement runs in a fresh Node process (TypeScript
// through tsx), so one library's JIT state, heap, sockets or crash cannot touch another's.
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Channel } from './ipc.js'

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string }

/** The message of a failure, as an outcome keeps it. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

export interface ChildOptions {
  /** Extra flags for node (`--expose-gc`). */
  readonly nodeArgs?: readonly string[]
  /** The child is killed, and the outcome a failure, after this long. */
  readonly timeoutMs: number
  /** Requests the child may send to the parent. */
  readonly handlers?: Readonly<Record<string, (params: unknown) => unknown>>
}

export interface Child<T> {
  readonly channel: Channel
  readonly process: ChildProcess
  /** Resolves when the child reported its result, failed, timed out or exited. Never rejects. */
  readonly outcome: Promise<Outcome<T>>
  /** Kills the child (by its pid) if it is still running. */
  kill(): void
}

const STDERR_TAIL = 4_000
/** tsx's loader, resolved from here so that children work whatever the working directory. */
const TSX = import.meta.resolve('tsx')

/** Starts `script` (a file in scripts/bench/children/) with `task` as its input. */
export function startChild<T>(script: string, task: unknown, options: ChildOptions): Child<T> {
  const child = fork(fileURLToPath(new URL(`../children/${script}`, import.meta.url)), [], {
    execArgv: [...(options.nodeArgs ?? []), '--import', TSX],
    env: { ...process.env, BENCH_TASK: JSON.stringify(task) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  const channel = new Channel(child)
  for (const [method, handler] of Object.entries(options.handlers ?? {})) channel.handle(method, handler)

  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-STDERR_TAIL)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)

  const outcome = new Promise<Outcome<T>>((resolve) => {
    let settled = false
    const settle = (result: Outcome<T>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(result)
    }
    const timer = setTimeout(() => {
      settle({ ok: false, error: `timed out after ${options.timeoutMs / 1000} s` })
      kill()
    }, options.timeoutMs)
    channel.on('result', (value) => settle(value as Outcome<T>))
    child.on('error', (error) => settle({ ok: false, error: error.message }))
    child.on('exit', (code, signal) => {
      channel.failPending(new Error('child exited'))
      settle({ ok: false, error: `exited (${signal ?? `code ${code}`}) without a result${tail(output)}` })
    })
  })

  function kill(): void {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }

  return { channel, process: child, outcome, kill }
}

function tail(output: string): string {
  const lines = output.trim().split('\n').slice(-8).join('\n')
  return lines === '' ? '' : `:\n${lines}`
}
