import { printableText } from '../errors/printable-text.js'

/**
 * What went wrong with the shared cache. None of these fails a `getToken()` call: each makes the
 * lookup a miss (or the write a no-op), and the client asks the token server as it would without a
 * shared cache.
 *
 * - `SHARED_CACHE_UNAVAILABLE`: a store operation failed (connection refused, closed, an error reply).
 * - `SHARED_CACHE_TIMEOUT`: a store operation took longer than `operationTimeoutMs`.
 * - `SHARED_CACHE_SKIPPED`: operations failed `breaker.failures` times in a row: the store is skipped
 *   for `breaker.cooldownMs`, then tried again.
 * - `SHARED_CACHE_ENTRY_REJECTED`: an entry did not open (`reason`: `foreign-key`, `tampered`,
 *   `malformed`): never served, and overwritten by the next token.
 * - `SHARED_CACHE_WAIT_EXCEEDED`: another process held the lease past `maxWaitMs`: this one asked the
 *   token server itself.
 */
export type SharedCacheErrorCode =
  | 'SHARED_CACHE_UNAVAILABLE'
  | 'SHARED_CACHE_TIMEOUT'
  | 'SHARED_CACHE_SKIPPED'
  | 'SHARED_CACHE_ENTRY_REJECTED'
  | 'SHARED_CACHE_WAIT_EXCEEDED'

/** The store operations, as {@link SharedCacheError.operation} names them. */
export type SharedCacheOperation = 'get' | 'set' | 'deleteIfEquals' | 'takeLease' | 'renewLease' | 'releaseLease'

/** Why an entry was rejected: sealed under a key this process lacks, altered, or not an entry at all. */
export type RejectedEntryReason = 'foreign-key' | 'tampered' | 'malformed'

/**
 * A problem with the shared cache, handed to the `onError` option of `sharedTokenCache()` or
 * `redisTokenCache()`. Its message names the store and the operation, never a token, a key, an
 * entry or a name; the store's own error is the `cause`.
 *
 * @example
 * redisTokenCache(redis, { onError: (error) => log.warn({ code: error.code, operation: error.operation }, error.message) })
 */
export class SharedCacheError extends Error {
  /** Always `SharedCacheError`. */
  override readonly name = 'SharedCacheError'
  /** What happened; see {@link SharedCacheErrorCode}. */
  readonly code: SharedCacheErrorCode
  /** The store operation involved, if one was. */
  readonly operation: SharedCacheOperation | undefined
  /** For `SHARED_CACHE_ENTRY_REJECTED`: why. */
  readonly reason: RejectedEntryReason | undefined

  /** @internal */
  constructor(
    code: SharedCacheErrorCode,
    message: string,
    details: { operation?: SharedCacheOperation; reason?: RejectedEntryReason; cause?: unknown } = {},
  ) {
    super(printableText(message), details.cause === undefined ? undefined : { cause: details.cause })
    this.code = code
    this.operation = details.operation
    this.reason = details.reason
  }
}

/**
 * The `code` of the process warning a shared cache without an `onError` option emits when it starts
 * skipping the store and when it rejects an entry (at most once a minute for each code).
 *
 * @example
 * process.on('warning', (warning) => { if ((warning as { code?: string }).code === SHARED_CACHE_WARNING) alert(warning.message) })
 */
export const SHARED_CACHE_WARNING = 'OAUTH2CC_SHARED_CACHE'
