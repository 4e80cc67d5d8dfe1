import { MAX_TIMER_DELAY_MS } from '../timer-limit.js'

/**
 * Parses an HTTP `Retry-After` value (RFC 9110 §10.2.3) into milliseconds from `now`: either
 * delay-seconds (`120`) or an HTTP-date (`Wed, 21 Oct 2026 07:28:00 GMT`). A date in the past is 0;
 * a longer wait than a timer can take (2^31-1 ms, about 24.8 days) is that, so the value is always
 * one a caller can hand to `setTimeout`. Anything else is `undefined`, as if the header were absent.
 *
 * @example
 * parseRetryAfter('2', Date.now()) // 2000
 */
export function parseRetryAfter(value: string | readonly string[] | undefined, now: number): number | undefined {
  if (value === undefined) return undefined
  const text = (typeof value === 'string' ? value : value[0] ?? '').trim()
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_TIMER_DELAY_MS)
  // An HTTP-date always names its weekday and month; a bare number must never reach Date.parse.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined
  const at = Date.parse(text)
  if (Number.isNaN(at)) return undefined
  return Math.min(Math.max(0, at - now), MAX_TIMER_DELAY_MS)
}
