// Interleaved measurement: several children (one per client, or one load generator per server) run
// at once and take turns, so that a change in the machine's load during a run falls on all of them
// alike instead of on whichever happened to run last. Only one child works at a time.
//
// The protocol, over each child's channel: the child emits `ready`; the parent asks it to `prepare`
// (check and warm up; one child after another), then for a `round` at a time, rotating through the
// children (the rounds of the first rotations, when asked, not recorded), then emits `finish`, and
// the child sends its result and exits.
import { messageOf, type Child, type Outcome } from './child.js'
import type { Channel } from './ipc.js'

/** A child's part: what it does when asked. */
export interface TurnTaker<T> {
  /** Check that the thing measured works, and warm it up. */
  prepare(): Promise<void>
  /** One measured round (after any re-warm of its own); it keeps what it measured if `record`. */
  round(record: boolean): Promise<void>
  /** The result to send, after the last round. */
  finish(): Promise<T>
}

/** In the child: answers the parent's turns until it says `finish`, then resolves with the result. */
export async function takeTurns<T>(channel: Channel, taker: TurnTaker<T>): Promise<T> {
  channel.handle('prepare', () => taker.prepare())
  channel.handle('round', (record) => taker.round(record !== false))
  const finished = new Promise<void>((resolve) => channel.on('finish', () => resolve()))
  await channel.emit('ready')
  await finished
  return taker.finish()
}

/** How many rotations to run, and how many of them, first, to run without recording. */
export interface Rotations {
  readonly recorded: number
  readonly unrecorded: number
}

/**
 * In the parent: starts a child per id, prepares them one after another, then runs the rotations,
 * each child one round per rotation (the order shifts by one each rotation). A child that fails at
 * any step keeps that failure as its outcome and leaves the rotation; the others go on.
 */
export async function conductTurns<K extends string, T>(
  ids: readonly K[],
  start: (id: K) => Child<T>,
  rotations: Rotations,
): Promise<Partial<Record<K, Outcome<T>>>> {
  const outcomes: Partial<Record<K, Outcome<T>>> = {}
  const live = new Map<K, Child<T>>()
  const step = async (id: K, child: Child<T>, work: Promise<unknown>): Promise<void> => {
    const failure = await Promise.race([
      work.then(() => undefined, messageOf),
      child.outcome.then((outcome) => (outcome.ok ? 'finished before it was asked to' : outcome.error)),
    ])
    if (failure === undefined) return
    outcomes[id] = { ok: false, error: failure }
    live.delete(id)
    child.kill()
  }
  for (const id of ids) {
    const child = start(id)
    const ready = new Promise<void>((resolve) => child.channel.on('ready', () => resolve()))
    live.set(id, child)
    await step(id, child, ready)
    if (live.has(id)) await step(id, child, child.channel.request('prepare'))
  }
  for (let rotation = 0; rotation < rotations.unrecorded + rotations.recorded; rotation++) {
    const record = rotation >= rotations.unrecorded
    const order = [...live.keys()]
    const shift = rotation % Math.max(1, order.length)
    for (const id of [...order.slice(shift), ...order.slice(0, shift)]) {
      const child = live.get(id)
      if (child !== undefined) await step(id, child, child.channel.request('round', record))
    }
  }
  for (const [id, child] of live) {
    void child.channel.emit('finish').catch(() => {})
    outcomes[id] = await child.outcome
  }
  return outcomes
}
