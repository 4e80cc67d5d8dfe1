import { MAX_SEALED_CHARS } from '../shared-cache/entry-seal.js'
import type { SharedTokenStore } from '../shared-cache/shared-token-store.js'
import { DELETE_IF_EQUALS, EXPIRE_IF_EQUALS, SET_IF_ABSENT, SET_WITH_TTL } from './lua-scripts.js'
import { flagReply, storedValueReply } from './redis-replies.js'
import { checkText, checkTtl } from './store-arguments.js'

/** The longest value read when the caller names no limit: the longest entry the client writes (bytes; Redis counts bytes). */
const MAX_VALUE_LENGTH = MAX_SEALED_CHARS

/** The commands the store needs from a driver; each adapter (node-redis, ioredis) supplies them. */
export interface OneKeyCommands {
  /**
   * `GETRANGE key 0 maxLength` and `PTTL key`, sent together (one round trip). GETRANGE sends at most
   * `maxLength + 1` bytes, so a value too long to be an entry never crosses the network whole; two
   * plain commands cost Redis a few microseconds where a script costs some twenty.
   */
  readWithTtl(key: string, maxLength: number): Promise<[unknown, unknown]>
  /** `EVAL script 1 key ...args`. */
  evalOnKey(script: string, key: string, args: readonly string[]): Promise<unknown>
}

/**
 * The Redis store, whatever the driver: `GETRANGE` and `PTTL` for a read, one Lua script on one key
 * for each write
 * (see `lua-scripts.ts`). Every method is async, so a wrong argument or a driver that throws is a
 * rejection, as the client expects of a store, never a synchronous throw.
 */
export function scriptedStore(commands: OneKeyCommands, description: string): SharedTokenStore {
  return Object.freeze({
    description,
    async get(name: string, maxLength: number = MAX_VALUE_LENGTH) {
      checkText('name', name)
      const limit = Number.isSafeInteger(maxLength) && maxLength > 0 ? maxLength : MAX_VALUE_LENGTH
      const [value, ttl] = await commands.readWithTtl(name, limit)
      return storedValueReply(value, ttl, limit)
    },
    async set(name: string, value: string, ttlMs: number) {
      checkText('name', name)
      checkText('value', value)
      checkTtl(ttlMs)
      await commands.evalOnKey(SET_WITH_TTL, name, [value, String(ttlMs)])
    },
    async deleteIfEquals(name: string, expected: string) {
      checkText('name', name)
      checkText('expected', expected)
      return flagReply(await commands.evalOnKey(DELETE_IF_EQUALS, name, [expected]))
    },
    async takeLease(name: string, owner: string, ttlMs: number) {
      checkText('name', name)
      checkText('owner', owner)
      checkTtl(ttlMs)
      return flagReply(await commands.evalOnKey(SET_IF_ABSENT, name, [owner, String(ttlMs)]))
    },
    async renewLease(name: string, owner: string, ttlMs: number) {
      checkText('name', name)
      checkText('owner', owner)
      checkTtl(ttlMs)
      return flagReply(await commands.evalOnKey(EXPIRE_IF_EQUALS, name, [owner, String(ttlMs)]))
    },
    async releaseLease(name: string, owner: string) {
      checkText('name', name)
      checkText('owner', owner)
      return flagReply(await commands.evalOnKey(DELETE_IF_EQUALS, name, [owner]))
    },
  })
}
