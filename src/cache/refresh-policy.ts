/** When a cached token is refreshed and when it stops being handed out. All durations in milliseconds. */
export interface RefreshPolicy {
  /**
   * A token is never handed out in its last `expiryBufferMs` (or, for a token whose whole lifetime is
   * shorter than twice this, in the last half of its lifetime), so it does not expire in flight.
   * @default 60_000
   */
  expiryBufferMs: number
  /**
   * Share of the usable lifetime after which the next call starts one background refresh while
   * callers keep getting the current token.
   * @default 0.8
   */
  refreshRatio: number
  /**
   * Up to this share is taken off `refreshRatio` at random per token, so a fleet of services does not
   * refresh in step.
   * @default 0.1
   */
  refreshJitter: number
}

/** The defaults of {@link RefreshPolicy}. */
export const DEFAULT_REFRESH_POLICY: Readonly<RefreshPolicy> = Object.freeze({
  expiryBufferMs: 60_000,
  refreshRatio: 0.8,
  refreshJitter: 0.1,
})

/** The moments that matter for one cached token, in clock milliseconds. */
export interface TokenSchedule {
  /** When the server considers the token expired: request sent + lifetime. */
  expiresAt: number
  /** The last moment the token is handed out. */
  usableUntil: number
  /** From this moment a call starts a background refresh. */
  refreshAt: number
}

/**
 * Plans a token's life from when its request was sent (lifetimes count from then, not from when the
 * answer arrived, so a slow response never stretches them).
 *
 * @example
 * scheduleToken(0, 3_600_000, DEFAULT_REFRESH_POLICY, () => 0)
 * // { expiresAt: 3_600_000, usableUntil: 3_540_000, refreshAt: 2_832_000 }
 */
export function scheduleToken(
  sentAt: number,
  lifetimeMs: number,
  policy: Readonly<RefreshPolicy>,
  random: () => number = Math.random,
): TokenSchedule {
  const lifetime = Math.max(0, lifetimeMs)
  const buffer = Math.min(policy.expiryBufferMs, lifetime / 2)
  const usable = lifetime - buffer
  const share = Math.min(1, Math.max(0, policy.refreshRatio - policy.refreshJitter * random()))
  return {
    expiresAt: sentAt + lifetime,
    usableUntil: sentAt + usable,
    refreshAt: sentAt + usable * share,
  }
}
