/**
 * What a store must do for processes to share tokens through it: a handful of atomic operations on
 * string values with a time to live. `redisTokenCache()` (from `oauth2-client-credentials/redis`)
 * implements it on Redis; wrap any other store that has the same atomic operations (a compare-and-
 * delete, a set-if-absent with expiry) with `sharedTokenCache(store, options)`.
 *
 * The client hands the store only opaque names and sealed values: names are HMACs of the cache key,
 * values are AES-256-GCM ciphertexts. An entry's name and its lease's name share a braced part
 * (`oauth2cc:{Qm9...}` and `oauth2cc:{Qm9...}:lease`), so a store that shards by Redis hash tags keeps
 * them on one shard. The client times every call out itself and treats a rejection or a timeout as
 * a miss: a store need not catch or time anything out, and must not retry for long.
 *
 * @example
 * const store: SharedTokenStore = {
 *   get: (name) => kv.get(name), // or { value, ttlMs } when the store can tell the time to live
 *   set: (name, value, ttlMs) => kv.put(name, value, { ttlMs }),
 *   deleteIfEquals: (name, expected) => kv.deleteIf(name, expected),
 *   takeLease: (name, owner, ttlMs) => kv.putIfAbsent(name, owner, { ttlMs }),
 *   renewLease: (name, owner, ttlMs) => kv.touchIf(name, owner, { ttlMs }),
 *   releaseLease: (name, owner) => kv.deleteIf(name, owner),
 * }
 */
export interface SharedTokenStore {
  /** A short description for messages, such as `redis (node-redis)`. */
  readonly description?: string
  /**
   * The value stored under `name`, or `undefined` (or `null`) when there is none. A store that can
   * also tell the value's remaining time to live answers a {@link StoredValue}: then a reader whose
   * clock runs behind still stops in time. A value longer than `maxLength` characters is of no use: a
   * store that can tell without sending it answers `{ tooLong: true }`.
   */
  get(name: string, maxLength?: number): Promise<string | StoredValue | null | undefined>
  /** Stores `value` under `name` for `ttlMs` milliseconds (a whole number, at least 1), replacing any value. */
  set(name: string, value: string, ttlMs: number): Promise<void>
  /** Deletes `name` only if it still holds `expected`, atomically; whether it did. */
  deleteIfEquals(name: string, expected: string): Promise<boolean>
  /**
   * Stores `owner` under `name` for `ttlMs` only if `name` holds nothing, atomically; whether it did.
   * A value under `name` without a time to live (which this package never writes) should get `ttlMs`.
   */
  takeLease(name: string, owner: string, ttlMs: number): Promise<boolean>
  /** Sets the time to live of `name` to `ttlMs` only if it still holds `owner`, atomically; whether it did. */
  renewLease(name: string, owner: string, ttlMs: number): Promise<boolean>
  /** Deletes `name` only if it still holds `owner`, atomically. */
  releaseLease(name: string, owner: string): Promise<boolean>
}

/** What {@link SharedTokenStore.get} may answer besides a plain string. */
export interface StoredValue {
  /** The value; `null` or absent when there is none. */
  readonly value?: string | null
  /** Its remaining time to live in milliseconds, in the store's own time. */
  readonly ttlMs?: number
  /** The value is longer than the `maxLength` asked for (and was not sent). */
  readonly tooLong?: boolean
}
