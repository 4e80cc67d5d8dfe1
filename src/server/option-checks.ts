/**
 * The value checks the server's options share (the server's own options, clients, the throttle,
 * the log's bounds, faults). Each is a type guard or throws a `TypeError` (`ERR_INVALID_ARG_VALUE`)
 * naming the option, never quoting its value.
 */
import { invalidArgument } from '../errors/invalid-argument.js'

/**
 * True for a safe positive integer.
 *
 * @example
 * isPositiveInteger(3600) // true
 * isPositiveInteger(1.5) // false
 */
export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0
}

/**
 * True for what counts things here: a non-negative safe integer, or `Infinity` for no bound.
 *
 * @example
 * isCountOrInfinity(0) // true
 * isCountOrInfinity(-1) // false
 */
export function isCountOrInfinity(value: unknown): value is number {
  return value === Infinity || (Number.isSafeInteger(value) && (value as number) >= 0)
}

/**
 * True for a string with at least one character.
 *
 * @example
 * isNonEmptyString('127.0.0.1') // true
 * isNonEmptyString('') // false
 */
export function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}

/**
 * Throws unless `value` is a string or `undefined`.
 *
 * @example
 * checkOptionalString(options.clientId, 'options.clientId')
 */
export function checkOptionalString(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'string') throw invalidArgument(name, 'must be a string')
}
