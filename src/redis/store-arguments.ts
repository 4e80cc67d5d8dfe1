import { invalidArgument } from '../errors/invalid-argument.js'
import { wholeNumber } from '../errors/option-values.js'

/** Refuses a name, value or owner that is not a string, before it reaches Redis (which would store `[object Object]`). */
export function checkText(label: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw invalidArgument(label, `must be a string, not ${value === null ? 'null' : typeof value}`)
}

/** Refuses a time to live that is not a whole number of milliseconds, at least 1 (Redis refuses `PX 0`, and `PX 1.5`). */
export function checkTtl(ttlMs: unknown): asserts ttlMs is number {
  // wholeNumber() reads undefined as "use the default"; a store call has none.
  if (ttlMs === undefined) throw invalidArgument('ttlMs', 'must be a whole number of at least 1')
  wholeNumber('ttlMs', ttlMs, 1, 1)
}
