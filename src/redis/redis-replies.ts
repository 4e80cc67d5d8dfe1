const utf8 = new TextDecoder()

/**
 * A `GET` (or `GETRANGE`) reply as the store returns it: the string, a Buffer (a client with a Buffer type mapping)
 * decoded as UTF-8, `undefined` for none. Anything else is an error: the key holds something the
 * store did not write.
 */
export function textReply(reply: unknown): string | undefined {
  if (typeof reply === 'string') return reply
  if (reply === null || reply === undefined) return undefined
  if (reply instanceof Uint8Array) return utf8.decode(reply)
  throw new Error(`Redis answered GET with ${typeof reply}, not a string`)
}

/** A script's 1 or 0 (a number, or a bigint or string with some type mappings) as a boolean. */
export function flagReply(reply: unknown): boolean {
  if (reply === 1 || reply === 1n || reply === '1') return true
  if (reply === 0 || reply === 0n || reply === '0') return false
  throw new Error(`Redis answered a store script with ${typeof reply}, not 1 or 0`)
}

/**
 * A read as the store answers it, from the replies of `GETRANGE key 0 maxLength` (an empty string
 * when the key holds nothing) and `PTTL key`: none, too long (more than `maxLength` bytes came), or
 * the value with its time to live when Redis told one.
 */
export function storedValueReply(range: unknown, ttl: unknown, maxLength: number): { value?: string; ttlMs?: number; tooLong?: boolean } | undefined {
  const bytes = range instanceof Uint8Array ? range.byteLength : undefined
  const text = textReply(range)
  if (text === undefined || text === '') return undefined
  if ((bytes ?? Buffer.byteLength(text, 'utf8')) > maxLength) return { tooLong: true }
  const ttlMs = typeof ttl === 'bigint' ? Number(ttl) : ttl
  return typeof ttlMs === 'number' && Number.isSafeInteger(ttlMs) && ttlMs > 0 ? { value: text, ttlMs } : { value: text }
}
