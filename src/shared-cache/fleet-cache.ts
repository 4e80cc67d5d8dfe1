import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { LazyAbortSignal } from '../abort/lazy-abort-controller.js'
import type { CacheEntry, FetchKind } from '../cache/token-cache.js'
import type { AccessToken } from '../response/access-token.js'
import type { Clock } from '../clock.js'
import { entryKeys, entryNames, type EntryKeys, type EntryNames } from './entry-keys.js'
import { MAX_SEALED_CHARS, openEntry, sealEntry } from './entry-seal.js'
import { describeValue, GuardedStore, troubleReporter, UNAVAILABLE, type TroubleReporter } from './guarded-store.js'
import { Lease } from './lease.js'
import { SharedCacheError, type RejectedEntryReason } from './shared-cache-error.js'
import {
  localEntryOf,
  parseRecord,
  serializeRecord,
  sharedRecordOf,
  storeTtlMs,
  type LocalEntry,
  type ReaderPolicy,
} from './shared-entry.js'
import type { SharedCacheSettings } from './shared-token-cache.js'
import type { StoredValue } from './shared-token-store.js'
import { StoreBreaker } from './store-breaker.js'

/** What a client tells its fleet cache about itself. */
export interface FleetMember {
  /** The client's credential: the entry names and (unless explicit keys are given) the sealing keys derive from it. */
  readonly credential: Uint8Array
  /** What tells this client apart (token URL, client id, auth method): bound into every key. */
  readonly binding: string
  readonly clock: Clock
  readonly expiryBufferMs: number
  readonly maxEntries: number
  /** Told of every problem the store has, as `onError` is (and before it): the client's telemetry and status. Must not throw. */
  readonly onTrouble?: ((error: SharedCacheError) => void) | undefined
  /** Told when the breaker closes again (a probe succeeded). Must not throw. */
  readonly onRecovered?: (() => void) | undefined
}

/** The first wait between two looks at a lease held by another process, doubled up to {@link MAX_POLL_MS}. */
const FIRST_POLL_MS = 10
const MAX_POLL_MS = 200

/** Waits `ms` (between half and all of it, at random, so waiters spread out); rejects when `signal` fires. */
function pause(ms: number, signal: LazyAbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason)
      return
    }
    const listener = {
      handleEvent(): void {
        clearTimeout(timer)
        reject(signal.reason)
      },
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', listener)
      resolve()
    }, ms * (0.5 + Math.random() / 2))
    signal.addEventListener('abort', listener)
  })
}

/** What the fleet cache knows of one cache key. */
interface KeyState {
  readonly names: EntryNames
  /** The sealed entry behind the token this process holds: what `invalidate` may delete. */
  held?: string | undefined
  /** An entry this process invalidated: a miss if read again before the delete lands. */
  revoked?: string | undefined
  /** This process's write of the entry, while it runs: an invalidation waits for it. */
  writing?: Promise<unknown> | undefined
}

/** What a read of the shared entry found. */
type Reading = LocalEntry | undefined | typeof REJECTED | typeof UNAVAILABLE
/** An entry was there, and could not be trusted: a miss. */
const REJECTED: unique symbol = Symbol('rejected entry')

const isBoolean = (value: unknown): boolean => typeof value === 'boolean'
/** `report`, after telling `observer` (the client's telemetry) of the same problem. */
const withObserver = (report: TroubleReporter, observer: TroubleReporter | undefined): TroubleReporter =>
  observer === undefined
    ? report
    : (error) => {
        observer(error)
        report(error)
      }
const fingerprint = (sealed: string): string => createHash('sha256').update(sealed).digest('base64url')

/**
 * The second level of a client's cache: a token missing from the process's own cache is looked for
 * in the shared store before the token server is asked, and a token got from the server is written
 * there for the other processes. One process of the fleet fetches each token: it takes the key's
 * lease, the others wait for the entry it writes (polling, with backoff, for at most `maxWaitMs`).
 * Every store problem makes a miss, never a failure.
 */
export class FleetCache {
  readonly #settings: SharedCacheSettings
  readonly #store: GuardedStore
  /** Worked out on the thread pool (scrypt) from construction on; every store operation waits for them. */
  readonly #keys: Promise<EntryKeys | undefined>
  readonly #clock: Clock
  readonly #policy: ReaderPolicy
  /** By cache key, oldest first (a plain `Map`: an LRUCache would allocate its whole capacity with every client). */
  readonly #keyStates = new Map<string, KeyState>()
  readonly #maxKeyStates: number
  /** Fingerprints of entries already reported as rejected: read again, they are a miss without a second report. */
  readonly #reported = new LRUCache<string, true>({ max: 64 })

  constructor(settings: SharedCacheSettings, member: FleetMember) {
    this.#settings = settings
    this.#store = new GuardedStore(
      settings.store,
      settings.operationTimeoutMs,
      new StoreBreaker(settings.breakerFailures, settings.breakerCooldownMs),
      withObserver(troubleReporter(settings.onError), member.onTrouble),
      member.onRecovered,
    )
    this.#keys = entryKeys(member.credential, member.binding, settings.encryptionKeys).catch(() => undefined)
    this.#clock = member.clock
    this.#policy = { expiryBufferMs: member.expiryBufferMs, clockSkewMs: settings.clockSkewMs }
    this.#maxKeyStates = Math.min(member.maxEntries, 10_000)
  }

  /**
   * The entry for `cacheKey`: the fleet's, or `fetch()`'s. A cold request takes any usable shared
   * token; a refresh takes only one before its refresh point (else it, or another process, fetches
   * the next); a forced one fetches, and shares what it gets.
   */
  async acquire(
    cacheKey: string,
    kind: FetchKind,
    signal: LazyAbortSignal,
    fetch: () => Promise<CacheEntry<AccessToken>>,
  ): Promise<CacheEntry<AccessToken>> {
    const keys = await this.#keys
    if (keys === undefined) return fetch()
    const state = this.#stateOf(keys, cacheKey)
    if (kind === 'force') return this.#fetchAndShare(keys, cacheKey, state, fetch, undefined)
    const acceptable = (found: Reading): found is LocalEntry => typeof found === 'object' && (found.fresh || kind === 'cold')
    const startedAt = performance.now()
    let delay = FIRST_POLL_MS
    for (;;) {
      const found = await this.#read(keys, cacheKey, state)
      if (acceptable(found)) return found.entry
      if (found === UNAVAILABLE) return this.#fetchAndShare(keys, cacheKey, state, fetch, undefined)
      const lease = await Lease.take(this.#store, state.names.lease, this.#settings.leaseMs)
      if (lease === UNAVAILABLE) return this.#fetchAndShare(keys, cacheKey, state, fetch, undefined)
      if (lease !== 'held') {
        // The process before may have written its token and let go between the read and the take.
        // (What the first read rejected is not reported twice.)
        const written = await this.#read(keys, cacheKey, state, found === REJECTED)
        if (acceptable(written)) {
          void lease.release()
          return written.entry
        }
        return this.#fetchAndShare(keys, cacheKey, state, fetch, lease)
      }
      if (performance.now() - startedAt >= this.#settings.maxWaitMs) {
        this.#store.report(
          new SharedCacheError('SHARED_CACHE_WAIT_EXCEEDED', `${this.#store.description}: another process held the lease past ${this.#settings.maxWaitMs} ms; asking the token server`),
        )
        return this.#fetchAndShare(keys, cacheKey, state, fetch, undefined)
      }
      await pause(delay, signal)
      delay = Math.min(delay * 2, MAX_POLL_MS)
    }
  }

  /**
   * Deletes the shared entry of `cacheKey` if it still holds the token this process had (compare-and-
   * delete): a newer token another process wrote stays. In the background, after this process's own
   * write of it if that still runs; a later read in this process ignores the old entry at once.
   */
  invalidate(cacheKey: string): void {
    const state = this.#keyStates.get(cacheKey)
    const sealed = state?.held
    if (state === undefined || sealed === undefined) return
    state.held = undefined
    state.revoked = sealed
    const { entry } = state.names
    const remove = () => this.#store.run('deleteIfEquals', (store) => store.deleteIfEquals(entry, sealed), { check: isBoolean })
    void (state.writing === undefined ? remove() : state.writing.then(remove))
  }

  /** {@link FleetCache.invalidate} for every key this process holds a shared token of. */
  invalidateAll(): void {
    for (const cacheKey of [...this.#keyStates.keys()]) this.invalidate(cacheKey)
  }

  #stateOf(keys: EntryKeys, cacheKey: string): KeyState {
    let state = this.#keyStates.get(cacheKey)
    if (state === undefined) {
      state = { names: entryNames(keys.naming, this.#settings.prefix, cacheKey) }
      if (this.#keyStates.size >= this.#maxKeyStates) this.#keyStates.delete(this.#keyStates.keys().next().value as string)
    } else {
      this.#keyStates.delete(cacheKey) // to the newest end
    }
    this.#keyStates.set(cacheKey, state)
    return state
  }

  async #fetchAndShare(
    keys: EntryKeys,
    cacheKey: string,
    state: KeyState,
    fetch: () => Promise<CacheEntry<AccessToken>>,
    lease: Lease | undefined,
  ): Promise<CacheEntry<AccessToken>> {
    let entry: CacheEntry<AccessToken>
    try {
      entry = await fetch()
    } catch (error) {
      void lease?.release()
      throw error
    }
    // The callers have their token now; the fleet gets it a store round trip later, and the lease
    // is given back only once the entry is there, so that no waiter takes it and fetches again.
    const writing = this.#share(keys, cacheKey, state, entry).finally(() => lease?.release())
    state.writing = writing
    void writing.finally(() => {
      if (state.writing === writing) state.writing = undefined
    })
    return entry
  }

  async #share(keys: EntryKeys, cacheKey: string, state: KeyState, entry: CacheEntry<AccessToken>): Promise<void> {
    if (entry.sentAt === undefined || entry.unusableOnArrival === true || this.#store.skipping) return
    const now = this.#clock.now()
    const wallNow = this.#clock.wallNow?.() ?? now
    const record = sharedRecordOf(entry, entry.sentAt, wallNow - now)
    const ttlMs = storeTtlMs(record, wallNow, this.#policy)
    const sealing = keys.sealing[0]
    const plaintext = serializeRecord(record)
    // Nothing a reader would refuse is written: a record out of range, an entry too long to read.
    if (ttlMs < 1 || sealing === undefined || parseRecord(plaintext) === undefined) return
    const sealed = sealEntry(plaintext, cacheKey, sealing)
    if (sealed.length > MAX_SEALED_CHARS) return
    // Held from now on, so that an invalidation right after the callers got the token deletes it.
    state.held = sealed
    await this.#store.run('set', (store) => store.set(state.names.entry, sealed, ttlMs))
  }

  /**
   * The shared entry of `cacheKey` as a local one; `undefined` for a miss, {@link REJECTED} for an
   * entry that cannot be trusted (reported, unless `quiet`: read again just after), {@link UNAVAILABLE}
   * when the store could not say.
   */
  async #read(keys: EntryKeys, cacheKey: string, state: KeyState, quiet = false): Promise<Reading> {
    const answer = await this.#store.run('get', (store) => store.get(state.names.entry, MAX_SEALED_CHARS))
    if (answer === UNAVAILABLE) return UNAVAILABLE
    const reject = (id: string | undefined, reason: RejectedEntryReason, what?: string): typeof REJECTED => {
      if (id !== undefined) this.#reported.set(id, true)
      if (!quiet) this.#report(reason, what)
      return REJECTED
    }
    try {
      return this.#interpret(keys, cacheKey, state, answer, reject)
    } catch {
      return reject(undefined, 'malformed')
    }
  }

  #interpret(
    keys: EntryKeys,
    cacheKey: string,
    state: KeyState,
    answer: unknown,
    reject: (id: string | undefined, reason: RejectedEntryReason, what?: string) => typeof REJECTED,
  ): LocalEntry | undefined | typeof REJECTED {
    if (answer === undefined || answer === null) return undefined
    let sealed: unknown = answer
    let ttlMs: number | undefined
    if (typeof answer === 'object') {
      const stored = answer as StoredValue
      if (stored.tooLong === true) return reject(undefined, 'malformed')
      if (Array.isArray(answer) || !('value' in stored)) return reject(undefined, 'malformed', describeValue(answer))
      sealed = stored.value
      if (sealed === undefined || sealed === null) return undefined
      if (typeof stored.ttlMs === 'number' && Number.isFinite(stored.ttlMs) && stored.ttlMs > 0) ttlMs = stored.ttlMs
    }
    if (typeof sealed !== 'string') return reject(undefined, 'malformed', describeValue(sealed))
    if (sealed.length > MAX_SEALED_CHARS) return reject(undefined, 'malformed')
    if (state.revoked === sealed) return undefined
    // Hashed only once something was rejected: the common read pays nothing for it.
    if (this.#reported.size > 0 && this.#reported.has(fingerprint(sealed))) return undefined
    const opened = openEntry(sealed, cacheKey, keys.sealing)
    if (!opened.ok) return reject(fingerprint(sealed), opened.failure)
    const parsed = parseRecord(opened.plaintext)
    if (parsed === undefined) return reject(fingerprint(sealed), 'malformed')
    const now = this.#clock.now()
    const local = localEntryOf(parsed.record, parsed.token, now, this.#clock.wallNow?.() ?? now, this.#policy, ttlMs)
    if (local !== undefined) state.held = sealed
    return local
  }

  #report(reason: RejectedEntryReason, what: string | undefined): void {
    const why = {
      'foreign-key': 'sealed under a key this process does not have',
      tampered: 'altered or forged (authentication failed)',
      malformed: what === undefined ? 'not an entry of this package' : `${what}, not an entry of this package`,
    }[reason]
    this.#store.report(
      new SharedCacheError('SHARED_CACHE_ENTRY_REJECTED', `${this.#store.description}: an entry was rejected (${why}); treated as a miss and overwritten by the next token`, {
        operation: 'get',
        reason,
      }),
    )
  }
}
