import { inspect } from 'node:util'
import { invalidArgument } from '../errors/invalid-argument.js'
import { timerDelay, wholeNumber } from '../errors/option-values.js'
import { refuseUnknownOptions } from '../errors/unknown-options.js'
import { MAX_TIMER_DELAY_MS } from '../timer-limit.js'
import { encryptionKeyMaterial, type EncryptionKeyInput } from './entry-keys.js'
import type { SharedCacheError } from './shared-cache-error.js'
import type { SharedTokenStore } from './shared-token-store.js'

/**
 * Options of a shared cache, for `redisTokenCache(redis, options)` and `sharedTokenCache(store, options)`.
 * Durations in milliseconds; every field has a default.
 *
 * @example
 * redisTokenCache(redis, { prefix: 'orders:oauth2cc:', onError: (error) => log.warn(error.code) })
 */
export interface SharedTokenCacheOptions {
  /**
   * Written before every name, to keep this package's names apart from others'. The rest of each name
   * is an HMAC of the cache key: no client id, scope, audience or token shows in the store.
   * @default 'oauth2cc:'
   */
  prefix?: string
  /**
   * The keys that seal entries (AES-256-GCM; each goes through HKDF first): the first seals, every one
   * opens. To rotate, put the new key first and keep the old one until the entries it sealed have
   * expired (at most one token lifetime). Each is 32 bytes or more: a `Uint8Array`, a secret `KeyObject`,
   * or a string of 32 characters or more (such as `openssl rand -base64 32`).
   * @default derived from the client's credential (HKDF), so only processes that hold it read the entries
   * @example [process.env.TOKEN_CACHE_KEY!, process.env.TOKEN_CACHE_OLD_KEY!]
   */
  encryptionKeys?: readonly EncryptionKeyInput[]
  /** The longest a store operation may take; past it, the operation counts as failed (a miss). @default 250 */
  operationTimeoutMs?: number
  /**
   * How long a process's claim to fetch a token (its lease) lasts unless renewed, a whole number of
   * milliseconds from 100; it is renewed every
   * third of this while the request runs. A process that dies holding one blocks the fleet this long at most.
   * @default 5000
   */
  leaseMs?: number
  /** The longest a process waits for another's token before asking the token server itself. @default 10000 */
  maxWaitMs?: number
  /**
   * How far behind the writer's wall clock a reader's may run: a reader stops using a shared token this
   * much earlier than its writer would (at most a tenth of the token's usable lifetime).
   * @default 1000
   */
  clockSkewMs?: number
  /** After `failures` failed operations in a row, skip the store for `cooldownMs`, then try one. @default { failures: 3, cooldownMs: 5000 } */
  breaker?: {
    /** @default 3 */
    failures?: number
    /** @default 5000 */
    cooldownMs?: number
  }
  /**
   * Told of every problem (see {@link SharedCacheError}): none fails a `getToken()` call. What it throws
   * is reported as one `OAUTH2CC_HOOK_FAILED` warning.
   * @default none: a process warning (code `OAUTH2CC_SHARED_CACHE`) when the store starts being skipped or an entry is rejected, at most once a minute each
   */
  onError?: (error: SharedCacheError) => void
}

/** {@link SharedTokenCacheOptions} checked, every default filled in. */
export interface SharedCacheSettings {
  readonly store: SharedTokenStore
  readonly prefix: string
  /** The explicit keys' bytes, checked. */
  readonly encryptionKeys: readonly Uint8Array[] | undefined
  readonly operationTimeoutMs: number
  readonly leaseMs: number
  readonly maxWaitMs: number
  readonly clockSkewMs: number
  readonly breakerFailures: number
  readonly breakerCooldownMs: number
  readonly onError: ((error: SharedCacheError) => void) | undefined
}

const OPTIONS = {
  prefix: true,
  encryptionKeys: true,
  operationTimeoutMs: true,
  leaseMs: true,
  maxWaitMs: true,
  clockSkewMs: true,
  breaker: true,
  onError: true,
} as const satisfies Record<keyof SharedTokenCacheOptions, true>

const BREAKER_OPTIONS = { failures: true, cooldownMs: true } as const satisfies Record<
  keyof NonNullable<SharedTokenCacheOptions['breaker']>,
  true
>

const STORE_METHODS = ['get', 'set', 'deleteIfEquals', 'takeLease', 'renewLease', 'releaseLease'] as const

const settingsByCache = new WeakMap<SharedTokenCache, SharedCacheSettings>()

/**
 * A shared cache, for the `sharedCache` option of `TokenClient`: made by `redisTokenCache()` or
 * {@link sharedTokenCache}. One may serve many clients: each client's entries are apart (their names
 * and keys derive from its token URL, client id and credential). It holds no connection of its own:
 * closing the store's connection is the caller's.
 */
export class SharedTokenCache {
  /** @internal Use {@link sharedTokenCache} or `redisTokenCache()`. */
  constructor(settings: SharedCacheSettings) {
    settingsByCache.set(this, settings)
    Object.freeze(this)
  }

  /** The store's description, such as `redis (node-redis)`. */
  get description(): string {
    return settingsOf(this).store.description ?? 'shared cache'
  }

  /** What `JSON.stringify()` shows: the description, never a key. */
  toJSON(): {
    /** The store's description. */
    sharedCache: string
  } {
    return { sharedCache: this.description }
  }

  /** What `util.inspect()` shows: the description, never a key. */
  [inspect.custom](): string {
    return `SharedTokenCache(${this.description})`
  }
}

/** The checked settings of a {@link SharedTokenCache}; `undefined` for anything else. */
export function settingsOf(cache: SharedTokenCache): SharedCacheSettings {
  const settings = settingsByCache.get(cache)
  if (settings === undefined) throw invalidArgument('sharedCache', 'must come from redisTokenCache() or sharedTokenCache()')
  return settings
}

/**
 * A shared cache on any store that implements {@link SharedTokenStore}; `redisTokenCache()` is this on
 * Redis. Processes whose clients use the same store, token URL, client id and credential share tokens:
 * one token request for the whole fleet, entries sealed with AES-256-GCM under names that reveal nothing.
 *
 * @throws {TypeError} with code `ERR_INVALID_ARG_VALUE`, naming the option that is wrong.
 * @example
 * const client = new TokenClient({ ...credentials, sharedCache: sharedTokenCache(myStore, { prefix: 'svc:' }) })
 */
export function sharedTokenCache(store: SharedTokenStore, options: SharedTokenCacheOptions = {}): SharedTokenCache {
  if (typeof store !== 'object' || store === null || STORE_METHODS.some((method) => typeof store[method] !== 'function')) {
    throw invalidArgument('store', `must implement SharedTokenStore (${STORE_METHODS.join(', ')})`)
  }
  refuseUnknownOptions(options, OPTIONS, { owner: 'sharedTokenCache()', nested: { breaker: BREAKER_OPTIONS } })
  if (options.breaker !== undefined) {
    refuseUnknownOptions(options.breaker, BREAKER_OPTIONS, { owner: 'sharedTokenCache()', path: 'breaker' })
  }
  const prefix = options.prefix ?? 'oauth2cc:'
  if (typeof prefix !== 'string' || prefix.length > 200 || /[{}\s]/.test(prefix) || /[\u0000-\u001f\u007f]/.test(prefix)) {
    throw invalidArgument('prefix', 'must be a string of at most 200 characters without braces, spaces or control characters')
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') throw invalidArgument('onError', 'must be a function')
  const leaseMs = wholeNumber('leaseMs', options.leaseMs, 5_000, 100)
  if (leaseMs > MAX_TIMER_DELAY_MS) throw invalidArgument('leaseMs', `must be at most ${MAX_TIMER_DELAY_MS} (2^31-1)`)
  return new SharedTokenCache({
    store,
    prefix,
    encryptionKeys: options.encryptionKeys === undefined ? undefined : encryptionKeyMaterial(options.encryptionKeys),
    operationTimeoutMs: timerDelay('operationTimeoutMs', options.operationTimeoutMs, 250, 1),
    leaseMs,
    maxWaitMs: timerDelay('maxWaitMs', options.maxWaitMs, 10_000, 0),
    clockSkewMs: timerDelay('clockSkewMs', options.clockSkewMs, 1_000, 0),
    breakerFailures: wholeNumber('breaker.failures', options.breaker?.failures, 3, 1),
    breakerCooldownMs: timerDelay('breaker.cooldownMs', options.breaker?.cooldownMs, 5_000, 1),
    onError: options.onError,
  })
}
