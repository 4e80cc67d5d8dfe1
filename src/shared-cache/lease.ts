import { randomBytes } from 'node:crypto'
import { GuardedStore, UNAVAILABLE } from './guarded-store.js'

/** A lease operation answers a boolean; anything else (`'OK'`, `1`) is a store that is wrong, not a lease held. */
const isBoolean = (value: unknown): boolean => typeof value === 'boolean'

/**
 * One process's claim to fetch the token of one cache key for the fleet: a store value under the
 * entry's lease name holding a random owner id, taken only if absent (`SET NX PX`), renewed every
 * third of its time to live while the request runs, and given back by compare-and-delete, so a
 * lease that expired and went to another process is never taken from it.
 */
export class Lease {
  readonly #store: GuardedStore
  readonly #name: string
  readonly #owner: string
  readonly #renewal: NodeJS.Timeout

  private constructor(store: GuardedStore, name: string, owner: string, ttlMs: number) {
    this.#store = store
    this.#name = name
    this.#owner = owner
    this.#renewal = setInterval(() => {
      void store.run('renewLease', (raw) => raw.renewLease(name, owner, ttlMs), { check: isBoolean }).then((renewed) => {
        // Lost (it expired while the store was unreachable): another process may fetch now; this one finishes anyway.
        if (renewed === false) clearInterval(this.#renewal)
      })
    }, Math.max(1, Math.floor(ttlMs / 3)))
    this.#renewal.unref()
  }

  /**
   * Takes the lease `name` if no process holds it: the lease, `held` when another process holds it,
   * or {@link UNAVAILABLE} when the store could not say. A lease granted after the operation timed
   * out is given back at once.
   */
  static async take(store: GuardedStore, name: string, ttlMs: number): Promise<Lease | 'held' | typeof UNAVAILABLE> {
    const owner = randomBytes(16).toString('base64url')
    const taken = await store.run('takeLease', (raw) => raw.takeLease(name, owner, ttlMs), {
      check: isBoolean,
      late: (lateTaken) => {
        if (lateTaken === true) void store.run('releaseLease', (raw) => raw.releaseLease(name, owner), { always: true })
      },
    })
    if (taken === UNAVAILABLE) return UNAVAILABLE
    return taken === true ? new Lease(store, name, owner, ttlMs) : 'held'
  }

  /** Stops renewing and gives the lease back (if this process still holds it). */
  async release(): Promise<void> {
    clearInterval(this.#renewal)
    await this.#store.run('releaseLease', (raw) => raw.releaseLease(this.#name, this.#owner), { always: true })
  }
}
