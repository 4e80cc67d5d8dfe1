import { invalidArgument } from './invalid-argument.js'
import { MAX_TIMER_DELAY_MS } from '../timer-limit.js'

/** A whole-number option: `fallback` when absent, else at least `min`, or a `TypeError` naming it. */
export function wholeNumber(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || (value as number) < min) throw invalidArgument(name, `must be a whole number of at least ${min}`)
  return value as number
}

/** A finite-number option: `fallback` when absent, else at least `min`, or a `TypeError` naming it. */
export function count(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw invalidArgument(name, `must be a finite number of at least ${min}`)
  }
  return value
}

/** A duration that arms a timer: refused past {@link MAX_TIMER_DELAY_MS}, which Node would fire after 1 ms. */
export function timerDelay(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= min && value <= MAX_TIMER_DELAY_MS)) {
    throw invalidArgument(name, `must be a number of milliseconds from ${min} to ${MAX_TIMER_DELAY_MS} (2^31-1)`)
  }
  return value
}
