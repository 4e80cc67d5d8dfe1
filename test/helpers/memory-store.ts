// A SharedTokenStore in memory, for tests of the shared cache that need no Redis: it behaves like
// one, and a test overrides the operations it wants to break.
import type { SharedTokenStore } from '../../src/shared-cache/shared-token-store.js'

/** A store that behaves, in memory; a test overrides what it breaks. */
export function memoryStore(overrides: Partial<Record<keyof SharedTokenStore, unknown>> = {}): SharedTokenStore {
  const values = new Map<string, string>()
  const base: SharedTokenStore = {
    description: 'memory (test)',
    get: async (name) => values.get(name),
    set: async (name, value) => {
      values.set(name, value)
    },
    deleteIfEquals: async (name, expected) => values.get(name) === expected && values.delete(name),
    takeLease: async (name, owner) => {
      if (values.has(name)) return false
      values.set(name, owner)
      return true
    },
    renewLease: async (name, owner) => values.get(name) === owner,
    releaseLease: async (name, owner) => values.get(name) === owner && values.delete(name),
  }
  return { ...base, ...(overrides as Partial<SharedTokenStore>) }
}
