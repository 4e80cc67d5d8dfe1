import type { CacheEntry } from '../cache/token-cache.js'
import { AccessToken } from '../response/access-token.js'
import { MAX_LIFETIME_SECONDS } from '../response/token-response.js'

/**
 * A token as the fleet shares it, with absolute wall-clock times (epoch milliseconds), so that
 * processes on machines whose monotonic clocks share nothing agree on when it ends.
 */
export interface SharedRecord {
  readonly accessToken: string
  readonly scope: string
  /** `DPoP` for a token bound to the fleet's DPoP key (written as `ty`); absent: Bearer. */
  readonly tokenType?: 'Bearer' | 'DPoP'
  /** When the request that got the token was sent: its lifetime counts from here. */
  readonly issuedAt: number
  /** When the server considers the token expired. */
  readonly expiresAt: number
  /** The fleet's refresh point: from here one process gets the next token. */
  readonly refreshAt: number
}

/** The part of the refresh policy a reader applies to a shared token. */
export interface ReaderPolicy {
  readonly expiryBufferMs: number
  /** The most a reader's wall clock is assumed to run behind the writer's. */
  readonly clockSkewMs: number
}

/** A shared token as one process's cache holds it, in that process's clock. */
export interface LocalEntry {
  readonly entry: CacheEntry<AccessToken>
  /** Before the fleet's refresh point: no refresh is due. */
  readonly fresh: boolean
}

/** The usable part of a lifetime and the skew taken off it, as every process of the fleet works them out. */
function usableSpan(lifetime: number, policy: ReaderPolicy): { usable: number; skew: number } {
  const buffer = Math.min(policy.expiryBufferMs, lifetime / 2)
  const usable = lifetime - buffer
  return { usable, skew: Math.min(policy.clockSkewMs, usable / 10) }
}

/**
 * The record of a token this process got, in wall-clock time (`wallOffset` = wall clock minus the
 * process clock, now), and how long the store should keep it: until the writer's own usable end.
 */
export function sharedRecordOf(
  entry: CacheEntry<AccessToken>,
  sentAt: number,
  wallOffset: number,
): SharedRecord {
  return {
    accessToken: entry.value.accessToken,
    scope: entry.value.scope,
    tokenType: entry.value.tokenType,
    issuedAt: Math.round(sentAt + wallOffset),
    expiresAt: Math.round(entry.value.expiresAt.getTime() + wallOffset),
    refreshAt: Math.round(entry.refreshAt + wallOffset),
  }
}

/** How long a store keeps `record`, from `wallNow`: until its usable end. Below 1 ms: not worth writing. */
export function storeTtlMs(record: SharedRecord, wallNow: number, policy: ReaderPolicy): number {
  const { usable } = usableSpan(record.expiresAt - record.issuedAt, policy)
  return Math.floor(record.issuedAt + usable - wallNow)
}

/** The record as the JSON text that gets sealed. */
export function serializeRecord(record: SharedRecord): string {
  const fields = { t: record.accessToken, s: record.scope, iat: record.issuedAt, exp: record.expiresAt, r: record.refreshAt }
  // Bearer records stay as they were, so that processes of an older version read them alike.
  return JSON.stringify(record.tokenType === 'DPoP' ? { ...fields, ty: 'DPoP' } : fields)
}

const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0 && value <= 8.64e15

/**
 * The record in an opened entry, checked as any outside input: a token that `AccessToken` accepts, and
 * times in order (sent, then refresh point, then expiry) over a lifetime no longer than the client
 * accepts from a token response. `undefined` for anything else. The writer checks its own record
 * with this too, so that it never writes what readers would refuse.
 */
export function parseRecord(plaintext: string): { record: SharedRecord; token: AccessToken } | undefined {
  let data: unknown
  try {
    data = JSON.parse(plaintext)
  } catch {
    return undefined
  }
  if (typeof data !== 'object' || data === null) return undefined
  const { t, s, iat, exp, r, ty } = data as Record<string, unknown>
  if (ty !== undefined && ty !== 'DPoP') return undefined
  if (!isTime(iat) || !isTime(exp) || !isTime(r)) return undefined
  if (!(iat <= r && r <= exp && exp > iat && exp - iat <= MAX_LIFETIME_SECONDS * 1000)) return undefined
  let token: AccessToken
  try {
    token = AccessToken.fromRecord({ accessToken: t as string, tokenType: ty === 'DPoP' ? 'DPoP' : 'Bearer', expiresAt: exp, scope: s as string })
  } catch {
    return undefined
  }
  return { record: { accessToken: token.accessToken, scope: token.scope, tokenType: token.tokenType, issuedAt: iat, expiresAt: exp, refreshAt: r }, token }
}

/**
 * The shared token as this process's cache entry: its times moved from the wall clock to the process
 * clock, its usable end brought forward by the buffer and the skew allowance, and never more of it
 * left than its whole lifetime (a reader whose clock runs far behind gains nothing). When the store
 * told the entry's remaining time to live (`storeTtlMs`, which ends at the writer's usable end, in the
 * store's own time), that bounds it too: a reader whose clock runs behind still stops in time.
 * `undefined` when it may not be handed out any more.
 */
export function localEntryOf(
  record: SharedRecord,
  token: AccessToken,
  now: number,
  wallNow: number,
  policy: ReaderPolicy,
  storeTtlMs?: number,
): LocalEntry | undefined {
  const lifetime = record.expiresAt - record.issuedAt
  const { usable, skew } = usableSpan(lifetime, policy)
  const sinceIssued = Math.max(0, wallNow - record.issuedAt)
  let usableLeft = usable - skew - sinceIssued
  let refreshIn = record.refreshAt - wallNow
  if (storeTtlMs !== undefined) {
    usableLeft = Math.min(usableLeft, storeTtlMs - skew)
    // The refresh point comes this long before the writer's usable end, where the store's time to live ends.
    refreshIn = Math.min(refreshIn, storeTtlMs - (record.issuedAt + usable - record.refreshAt))
  }
  if (usableLeft < 1) return undefined
  const usableUntil = now + usableLeft
  const refreshAt = Math.min(usableUntil, now + refreshIn)
  const expiresAt = now + Math.min(lifetime - sinceIssued, usableLeft + (lifetime - usable) + skew)
  return {
    entry: {
      value: new AccessToken(token.accessToken, new Date(expiresAt), token.scope, token.tokenType),
      usableUntil,
      refreshAt,
      sentAt: expiresAt - lifetime,
    },
    fresh: refreshAt > now,
  }
}
