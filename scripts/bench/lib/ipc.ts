// Messages between the benchmark's processes over Node's IPC channel: requests that get one
// response (`request`/`handle`), and one-way events (`emit`/`on`). The same class wraps a child
// process in the parent and `process` in the child.
import type { ChildProcess } from 'node:child_process'

type Message =
  | { readonly kind: 'request'; readonly id: number; readonly method: string; readonly params: unknown }
  | { readonly kind: 'response'; readonly id: number; readonly value?: unknown; readonly error?: string }
  | { readonly kind: 'event'; readonly name: string; readonly value: unknown }

type Handler = (params: unknown) => unknown

/** What both a `ChildProcess` and the child's own `process` offer. */
type Endpoint = Pick<ChildProcess, 'send' | 'on' | 'off'>

export class Channel {
  readonly #endpoint: Endpoint
  readonly #handlers = new Map<string, Handler>()
  readonly #listeners = new Map<string, (value: unknown) => void>()
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  #nextId = 1

  constructor(endpoint: Endpoint) {
    this.#endpoint = endpoint
    endpoint.on('message', (message: Message) => this.#receive(message))
  }

  /** Sends a request and resolves with the other side's answer. */
  request<T = unknown>(method: string, params?: unknown): Promise<T> {
    const id = this.#nextId++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      this.#send({ kind: 'request', id, method, params }, (error) => {
        this.#pending.delete(id)
        reject(error)
      })
    })
  }

  /** Answers requests for `method`. */
  handle(method: string, handler: Handler): this {
    this.#handlers.set(method, handler)
    return this
  }

  emit(name: string, value?: unknown): Promise<void> {
    return new Promise((resolve, reject) => this.#send({ kind: 'event', name, value }, reject, resolve))
  }

  on(name: string, listener: (value: unknown) => void): this {
    this.#listeners.set(name, listener)
    return this
  }

  /** Fails every request still waiting for an answer (the other side is gone). */
  failPending(error: Error): void {
    for (const { reject } of this.#pending.values()) reject(error)
    this.#pending.clear()
  }

  #send(message: Message, onError: (error: Error) => void, onSent?: () => void): void {
    try {
      this.#endpoint.send(message, (error) => (error ? onError(error) : onSent?.()))
    } catch (error) {
      onError(error as Error)
    }
  }

  #receive(message: Message): void {
    switch (message.kind) {
      case 'request': {
        const handler = this.#handlers.get(message.method)
        const reply = (answer: { value?: unknown; error?: string }) =>
          this.#send({ kind: 'response', id: message.id, ...answer }, () => {})
        if (handler === undefined) {
          reply({ error: `no handler for ${message.method}` })
          return
        }
        Promise.resolve()
          .then(() => handler(message.params))
          .then(
            (value) => reply({ value }),
            (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
          )
        return
      }
      case 'response': {
        const pending = this.#pending.get(message.id)
        if (pending === undefined) return
        this.#pending.delete(message.id)
        if (message.error !== undefined) pending.reject(new Error(message.error))
        else pending.resolve(message.value)
        return
      }
      case 'event':
        this.#listeners.get(message.name)?.(message.value)
        return
    }
  }
}

/** The channel to the parent, in a child process. */
export function parentChannel(): Channel {
  if (process.send === undefined) throw new Error('this script runs as a child of scripts/bench/run.ts')
  return new Channel(process as unknown as Endpoint)
}

/** The task the parent gave this child (JSON in `BENCH_TASK`). */
export function taskOf<T>(): T {
  const text = process.env['BENCH_TASK']
  if (text === undefined) throw new Error('BENCH_TASK is not set: run `npm run bench`')
  return JSON.parse(text) as T
}

/**
 * Runs a child's work: sends its result (or its failure) as the `result` event, then exits, so open
 * handles (timers, pools) of the library under test never keep the process alive.
 */
export function runTask<T>(work: (channel: Channel) => Promise<T>): void {
  const channel = parentChannel()
  work(channel).then(
    async (value) => {
      await channel.emit('result', { ok: true, value })
      process.exit(0)
    },
    async (error: unknown) => {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
      await channel.emit('result', { ok: false, error: message }).catch(() => {})
      process.exit(1)
    },
  )
}
