import { callHook } from '../hooks/call-hook.js'
import { SHARED_CACHE_WARNING, SharedCacheError, type SharedCacheOperation } from './shared-cache-error.js'
import type { StoreBreaker } from './store-breaker.js'
import type { SharedTokenStore } from './shared-token-store.js'

/** What a guarded operation gives instead of a result when the store failed, timed out or was skipped. */
export const UNAVAILABLE: unique symbol = Symbol('shared store unavailable')

/** How {@link GuardedStore} reports trouble: the user's `onError`, or rate-limited process warnings. */
export type TroubleReporter = (error: SharedCacheError) => void

/** At most one default warning per code per this many ms. */
const WARNING_INTERVAL_MS = 60_000

/**
 * The reporter of a shared cache: `onError` when given (what it throws is one `OAUTH2CC_HOOK_FAILED`
 * warning, as for every hook); otherwise a process warning when the store starts being skipped and
 * when an entry is rejected, at most once a minute for each.
 */
export function troubleReporter(onError: ((error: SharedCacheError) => void) | undefined): TroubleReporter {
  if (onError !== undefined) return (error) => callHook('sharedCache.onError', onError, error)
  const lastWarned = new Map<string, number>()
  return (error) => {
    if (error.code !== 'SHARED_CACHE_SKIPPED' && error.code !== 'SHARED_CACHE_ENTRY_REJECTED') return
    const now = performance.now()
    if (now - (lastWarned.get(error.code) ?? -Infinity) < WARNING_INTERVAL_MS) return
    lastWarned.set(error.code, now)
    const warning = new Error(error.message)
    warning.name = 'Warning'
    process.emitWarning(Object.assign(warning, { code: SHARED_CACHE_WARNING, cause: error }))
  }
}

/**
 * The store as the client uses it: every operation timed out after `timeoutMs`, counted by the
 * breaker, and skipped while the breaker is open; a failure is reported and comes back as
 * {@link UNAVAILABLE}, never as a rejection.
 */
export class GuardedStore {
  readonly store: SharedTokenStore
  readonly #timeoutMs: number
  readonly #breaker: StoreBreaker
  readonly #report: TroubleReporter
  readonly #description: string
  readonly #recovered: (() => void) | undefined

  /** `recovered` is told when an operation's success closes the open breaker: the store answers again. */
  constructor(store: SharedTokenStore, timeoutMs: number, breaker: StoreBreaker, report: TroubleReporter, recovered?: () => void) {
    this.store = store
    this.#timeoutMs = timeoutMs
    this.#breaker = breaker
    this.#report = report
    this.#recovered = recovered
    this.#description = typeof store.description === 'string' ? store.description.slice(0, 100) : 'shared cache'
  }

  /** Reports trouble that is not an operation's failure (a rejected entry, a wait given up). */
  report(error: SharedCacheError): void {
    this.#report(error)
  }

  /** The store's description, for messages. */
  get description(): string {
    return this.#description
  }

  /** The breaker is open: operations are being skipped (so a write need not even be sealed). */
  get skipping(): boolean {
    return this.#breaker.isOpen
  }

  /**
   * Runs one store operation. `check` says whether its result is one the store may give (a `boolean`
   * from a lease operation, say): anything else counts as the store failing. `late` is called with a
   * result that arrived after the timeout (a lease taken too late must be given back). A release
   * (`always`) goes to the store even while the breaker is open: it gives back what the store holds
   * for this process, and skipping it would leave a lease to block the fleet.
   */
  async run<T>(
    operation: SharedCacheOperation,
    call: (store: SharedTokenStore) => Promise<T>,
    options: { check?: (value: unknown) => boolean; late?: (value: T) => void; always?: boolean } = {},
  ): Promise<T | typeof UNAVAILABLE> {
    if (options.always !== true && !this.#breaker.allows()) return UNAVAILABLE
    let timer: NodeJS.Timeout | undefined
    let pending: Promise<T>
    try {
      pending = Promise.resolve(call(this.store))
    } catch (error) {
      pending = Promise.reject(error)
    }
    // Not unref()'d: a process whose only handle is a store connection it unref()'d waits for its token.
    const timeout = new Promise<typeof UNAVAILABLE>((resolve) => {
      timer = setTimeout(resolve, this.#timeoutMs, UNAVAILABLE)
    })
    try {
      const result = await Promise.race([pending, timeout])
      if (result === UNAVAILABLE) {
        pending.then((value) => options.late?.(value), () => {})
        this.#failed(operation, new SharedCacheError('SHARED_CACHE_TIMEOUT', `${this.#description}: ${operation} took longer than ${this.#timeoutMs} ms`, { operation }))
        return UNAVAILABLE
      }
      if (options.check !== undefined && !options.check(result)) {
        this.#failed(operation, new SharedCacheError('SHARED_CACHE_UNAVAILABLE', `${this.#description}: ${operation} answered ${describeValue(result)}`, { operation }))
        return UNAVAILABLE
      }
      if (this.#breaker.succeeded()) this.#recovered?.()
      return result
    } catch (cause) {
      this.#failed(operation, new SharedCacheError('SHARED_CACHE_UNAVAILABLE', `${this.#description}: ${operation} failed`, { operation, cause }))
      return UNAVAILABLE
    } finally {
      clearTimeout(timer)
    }
  }

  #failed(operation: SharedCacheOperation, error: SharedCacheError): void {
    const opened = this.#breaker.failed()
    this.#report(error)
    if (opened) {
      this.#report(
        new SharedCacheError('SHARED_CACHE_SKIPPED', `${this.#description} failed repeatedly: skipped for a while, tokens come from the token server`, {
          operation,
          cause: error,
        }),
      )
    }
  }
}

/** What a value is, for a message, without showing it (it may hold a token). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
