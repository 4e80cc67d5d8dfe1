/**
 * A node-redis client or cluster (`createClient()`, `createCluster()` from `redis` 5 or later),
 * as `redisStore()` uses it: only `isOpen`, `get`, `getRange`, `pTTL` and `eval`. Written here rather than imported from
 * `redis`, so that code without that package installed still type-checks.
 */
export interface NodeRedisConnection {
  /** True once `connect()` was called, until the client is closed. */
  readonly isOpen: boolean
  /** `GET key`. */
  get(key: string): Promise<unknown>
  /** `GETRANGE key start end`. */
  getRange(key: string, start: number, end: number): Promise<unknown>
  /** `PTTL key`. */
  pTTL(key: string): Promise<unknown>
  /** `EVAL script numkeys key... arg...`. */
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
}

/**
 * An ioredis connection (`new Redis()` or `new Cluster()` from `ioredis` 5 or later), as
 * `redisStore()` uses it: only `status`, `isCluster`, `get`, `getrange`, `pttl` and `eval`. Written here rather than
 * imported from `ioredis`, so that code without that package installed still type-checks.
 */
export interface IoredisConnection {
  /** The connection's state, such as `'ready'`. */
  readonly status: string
  /** True for a `Cluster`. */
  readonly isCluster: boolean
  /** `GET key`. */
  get(key: string): Promise<unknown>
  /** `GETRANGE key start end`. */
  getrange(key: string, start: number, end: number): Promise<unknown>
  /** `PTTL key`. */
  pttl(key: string): Promise<unknown>
  /** `EVAL script numkeys key... arg...`. */
  eval(script: string, numberOfKeys: number, ...keysAndArguments: string[]): Promise<unknown>
}
