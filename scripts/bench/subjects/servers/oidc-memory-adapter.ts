// The smallest oidc-provider storage adapter for the client credentials grant, shared by the interop
// tests and the benchmark (a test may import a script, never the reverse).
type Payload = Record<string, unknown>

/**
 * The smallest storage adapter for what the tests and the benchmark do (oidc-provider's own in-memory one warns that
 * it is for development only, which is what this is too). Entries expire; grant, session and
 * user-code lookups, which the client credentials grant never makes, find nothing.
 */
export function memoryAdapter(): new (model: string) => object {
  const store = new Map<string, { payload: Payload; expiresAt: number }>()
  return class MemoryAdapter {
    readonly #model: string
    constructor(model: string) {
      this.#model = model
    }
    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      store.set(`${this.#model}:${id}`, { payload, expiresAt: expiresIn === undefined ? Infinity : Date.now() + expiresIn * 1000 })
    }
    async find(id: string): Promise<Payload | undefined> {
      const entry = store.get(`${this.#model}:${id}`)
      return entry !== undefined && entry.expiresAt > Date.now() ? entry.payload : undefined
    }
    async findByUid(): Promise<undefined> {
      return undefined
    }
    async findByUserCode(): Promise<undefined> {
      return undefined
    }
    async consume(id: string): Promise<void> {
      const entry = store.get(`${this.#model}:${id}`)
      if (entry !== undefined) entry.payload['consumed'] = Math.floor(Date.now() / 1000)
    }
    async destroy(id: string): Promise<void> {
      store.delete(`${this.#model}:${id}`)
    }
    async revokeByGrantId(): Promise<void> {}
  }
}
