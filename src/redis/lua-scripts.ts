// The store's writes, each one Lua script on one key (KEYS[1]), run with EVAL (reads are two plain
// commands, see scripted-store.ts): a script is atomic, it
// names its only key so a cluster routes it to the key's slot, and EVAL takes the same arguments in
// every version of node-redis and ioredis, where the options of SET differ between them. Every
// script replies with an integer, which reads the same in RESP2 and RESP3 (a Lua `false` does not).

/** Stores ARGV[1] under KEYS[1] for ARGV[2] milliseconds, replacing any value. Replies 1. */
export const SET_WITH_TTL = `redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`

/**
 * Stores ARGV[1] under KEYS[1] for ARGV[2] milliseconds if KEYS[1] holds nothing. Replies 1 if it
 * did, else 0. A value there without a time to live (never written by this package: a stray `SET`)
 * gets ARGV[2] milliseconds, so that it cannot block the fleet for ever.
 */
export const SET_IF_ABSENT = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`

/** Sets the time to live of KEYS[1] to ARGV[2] milliseconds if it holds ARGV[1]. Replies 1 if it did, else 0. */
export const EXPIRE_IF_EQUALS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`

/** Deletes KEYS[1] if it holds ARGV[1]. Replies 1 if it did, else 0. */
export const DELETE_IF_EQUALS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`
