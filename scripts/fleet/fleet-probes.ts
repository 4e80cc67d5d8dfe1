// The benchmark's timing probes, run inside a fleet worker (fleet-worker.ts), so that what they time
// runs where a service would run it: in a process of its own, on its own Redis connection.
//
// - hits: the in-process cache hit of the worker's shared-cache client beside a plain client's, in
//   alternating rounds.
// - fromRedis: the time to token of a process whose token is in Redis and not in its own cache (a new
//   client per sample, its construction timed apart) beside the floor of that: a raw GET of the same
//   entry on the same connection and its AES-256-GCM decrypt with node:crypto.
// - fromRedisLongLived: the same for a long-lived client and scopes it has not asked for yet, whose
//   tokens another client wrote to Redis: what a running service pays for a token another process got.
// - misses: one getToken per scope, each a miss in the process, on the shared-cache client or the
//   plain one (the parent kills Redis between probes).
import { createDecipheriv } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { timeCalls, warmUp } from '../bench/lib/timing.js'
import { cacheKeyPrefix, tokenCacheKey } from '../../src/cache/cache-key.js'
import { normalizeScope } from '../../src/request/scope.js'
import { entryKeys, entryNames } from '../../src/shared-cache/entry-keys.js'
import type { TokenClient } from '../../src/index.js'
import type { FleetProbe, FleetWorkerConfig, FromRedisResult, HitsResult, MissesResult, ProbeClient } from './fleet.js'

/** What a probe may use of its worker. */
export interface ProbeContext {
  readonly config: FleetWorkerConfig
  /** The worker's client (with the shared cache, unless the worker is plain). */
  current(): TokenClient
  /** A new client of the worker's config, with or without the shared cache. */
  newClient(shared: boolean): TokenClient
  /** `GET name` on the worker's Redis connection, as the driver answers it. */
  rawGet(name: string): Promise<unknown>
  /** The plain client beside the worker's own, once a probe has made it (the worker closes it). */
  plain?: TokenClient
}

const now = (): bigint => process.hrtime.bigint()
/** fromRedis: the most clients made at a time (fewer than the 25 open clients of one configuration that make the package warn). */
const MAX_BATCH = 20
const since = (start: bigint): number => Number(now() - start)

/** The plain client beside the worker's own: made once, kept for the next probes. */
function plainClient(context: ProbeContext): TokenClient {
  context.plain ??= context.newClient(false)
  return context.plain
}

export async function runProbe(context: ProbeContext, request: FleetProbe): Promise<HitsResult | FromRedisResult | MissesResult> {
  switch (request.probe) {
    case 'hits':
      return hits(context, request.scope, request.rounds, request.roundMs)
    case 'fromRedis':
      return fromRedis(context, request.scope, request.samples, request.warmup, request.batch)
    case 'fromRedisLongLived':
      return fromRedisLongLived(context, request.scopes, request.warmup)
    case 'misses':
      return misses(context, request.scopes, request.clients)
  }
}

async function hits(context: ProbeContext, scope: string, rounds: number, roundMs: number): Promise<HitsResult> {
  const shared = context.current()
  const plain = plainClient(context)
  const withShared = () => shared.getToken(scope)
  const without = () => plain.getToken(scope)
  await withShared()
  await without()
  // Calibrate on the plain client: enough calls for a round to last `roundMs`.
  let count = 1_000
  let ns = await timeCalls(without, count)
  while (ns * count < 20e6) {
    count *= 2
    ns = await timeCalls(without, count)
  }
  count = Math.max(1_000, Math.ceil((roundMs * 1e6) / ns))
  await warmUp(withShared, count, count)
  await warmUp(without, count, count)
  // The count again from warm calls: the first calibration ran on cold code.
  count = Math.max(1_000, Math.ceil((roundMs * 1e6) / (await timeCalls(without, count))))
  const withNs: number[] = []
  const withoutNs: number[] = []
  for (let round = 0; round < rounds; round++) {
    // ABBA: whichever goes second in a pair alternates, so that drift falls on both alike.
    if (round % 2 === 0) {
      withNs.push(await timeCalls(withShared, count))
      withoutNs.push(await timeCalls(without, count))
    } else {
      withoutNs.push(await timeCalls(without, count))
      withNs.push(await timeCalls(withShared, count))
    }
  }
  return { withNs, withoutNs, callsPerRound: count }
}

/** Where the shared entry of `scope` is, and how to open it: worked out as the client does (src/cache, src/shared-cache). */
async function entryOf(config: FleetWorkerConfig, scope: string): Promise<{ name: string; key: Buffer; additionalData: Buffer }> {
  const prefix = cacheKeyPrefix(new URL(config.tokenUrl).href, config.clientId, 'client_secret_basic')
  const cacheKey = tokenCacheKey(prefix, normalizeScope(scope), [])
  const keys = await entryKeys(Buffer.from(config.clientSecret, 'utf8'), prefix, undefined)
  const sealing = keys.sealing[0]
  if (sealing === undefined) throw new Error('no sealing key')
  return {
    name: entryNames(keys.naming, config.sharedCache?.prefix ?? 'oauth2cc:', cacheKey).entry,
    key: sealing.key,
    additionalData: Buffer.from(`oauth2cc v1\n${cacheKey}`, 'utf8'),
  }
}

/** AES-256-GCM open of a `v1.<key id>.<base64url of IV, ciphertext, tag>` entry: what any reader of it must do. */
function decrypt(sealed: string, key: Buffer, additionalData: Buffer): string {
  const body = Buffer.from(sealed.slice(sealed.lastIndexOf('.') + 1), 'base64url')
  const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, 12), { authTagLength: 16 })
  decipher.setAAD(additionalData)
  decipher.setAuthTag(body.subarray(body.length - 16))
  return Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]).toString('utf8')
}

async function fromRedis(context: ProbeContext, scope: string, samples: number, warmup: number, batchSize: number): Promise<FromRedisResult> {
  const token = (await context.current().getToken(scope)).accessToken
  const { name, key, additionalData } = await entryOf(context.config, scope)
  // The entry is written just after the callers have their token.
  let sealed: unknown
  for (const giveUpAt = performance.now() + 3_000; performance.now() < giveUpAt; await sleep(10)) {
    sealed = await context.rawGet(name)
    if (typeof sealed === 'string') break
  }
  if (typeof sealed !== 'string') throw new Error(`no shared entry under the name worked out for "${scope}" (${name}): has the entry naming changed?`)
  const tokenIn = (plaintext: string) => (JSON.parse(plaintext) as { t?: unknown }).t
  if (tokenIn(decrypt(sealed, key, additionalData)) !== token) throw new Error('the entry does not open to the token the client got')

  const clientNs: number[] = []
  const rawNs: number[] = []
  const constructNs: number[] = []
  const closeNs: number[] = []
  const viaClient = async (fresh: TokenClient, record: boolean) => {
    const start = now()
    const got = await fresh.getToken(scope)
    const ns = since(start)
    if (got.accessToken !== token) throw new Error('a new client did not get the shared token from Redis')
    if (record) clientNs.push(ns)
  }
  const raw = async (record: boolean) => {
    const start = now()
    const text = await context.rawGet(name)
    const plaintext = decrypt(text as string, key, additionalData)
    const ns = since(start)
    if (tokenIn(plaintext) !== token) throw new Error('the raw read did not give the token')
    if (record) rawNs.push(ns)
  }
  // A new client per sample, made `batchSize` at a time before their samples (each construction timed
  // apart): in batches, the garbage of making and closing clients falls on neither figure more than the
  // other; one at a time, the call runs right after its client was made, as in a process just started.
  const size = Math.max(1, Math.min(MAX_BATCH, batchSize))
  for (let done = 0; done < warmup + samples; ) {
    const batch: TokenClient[] = []
    for (let index = 0; index < size && done + index < warmup + samples; index++) {
      const start = now()
      batch.push(context.newClient(true))
      if (done + index >= warmup) constructNs.push(since(start))
    }
    if (size > 1) await sleep(1)
    for (const [index, fresh] of batch.entries()) {
      const sample = done + index
      const record = sample >= warmup
      // Each pair back to back, the order alternating.
      if (sample % 2 === 0) {
        await viaClient(fresh, record)
        await raw(record)
      } else {
        await raw(record)
        await viaClient(fresh, record)
      }
    }
    for (const [index, fresh] of batch.entries()) {
      const start = now()
      await fresh.close()
      if (done + index >= warmup) closeNs.push(since(start))
    }
    done += batch.length
  }
  return { clientNs, rawNs, constructNs, closeNs, sealedChars: sealed.length }
}

async function fromRedisLongLived(context: ProbeContext, scopes: readonly string[], warmup: number): Promise<FromRedisResult> {
  const writer = context.current()
  const entries: { scope: string; token: string; name: string; key: Buffer; additionalData: Buffer }[] = []
  for (const scope of scopes) entries.push({ scope, token: (await writer.getToken(scope)).accessToken, ...(await entryOf(context.config, scope)) })
  // The last entry is written just after its callers have their token.
  const last = entries.at(-1)
  for (const giveUpAt = performance.now() + 3_000; last !== undefined && performance.now() < giveUpAt; await sleep(10)) {
    if (typeof (await context.rawGet(last.name)) === 'string') break
  }
  const tokenIn = (plaintext: string) => (JSON.parse(plaintext) as { t?: unknown }).t
  const reader = context.newClient(true)
  const clientNs: number[] = []
  const rawNs: number[] = []
  let sealedChars = 0
  try {
    for (const [index, entry] of entries.entries()) {
      const record = index >= warmup
      const viaClient = async () => {
        const start = now()
        const got = await reader.getToken(entry.scope)
        const ns = since(start)
        if (got.accessToken !== entry.token) throw new Error('the reader did not get the shared token from Redis')
        if (record) clientNs.push(ns)
      }
      const raw = async () => {
        const start = now()
        const text = await context.rawGet(entry.name)
        const plaintext = decrypt(text as string, entry.key, entry.additionalData)
        const ns = since(start)
        if (tokenIn(plaintext) !== entry.token) throw new Error('the raw read did not give the token')
        sealedChars = (text as string).length
        if (record) rawNs.push(ns)
      }
      // Each pair back to back, the order alternating.
      if (index % 2 === 0) {
        await viaClient()
        await raw()
      } else {
        await raw()
        await viaClient()
      }
    }
  } finally {
    await reader.close()
  }
  return { clientNs, rawNs, constructNs: [], closeNs: [], sealedChars }
}

async function misses(context: ProbeContext, scopes: readonly string[], clients: readonly ProbeClient[]): Promise<MissesResult> {
  const ns: number[] = []
  const used: ProbeClient[] = []
  const errors: string[] = []
  for (const [index, scope] of scopes.entries()) {
    const which = clients[index % clients.length] ?? 'shared'
    const client = which === 'shared' ? context.current() : plainClient(context)
    const start = now()
    try {
      await client.getToken(scope)
    } catch (error) {
      errors.push(String((error as { code?: string }).code ?? error))
    }
    ns.push(since(start))
    used.push(which)
  }
  return { ns, clients: used, errors }
}
