// Timing sequential awaited calls, for the cached and fresh sections: wall and CPU time per call
// over a round, a warm-up until rounds stop speeding up, and rounds one after another.

export interface RoundTime {
  /** Wall nanoseconds per call. */
  readonly ns: number
  /** CPU nanoseconds of this process per call, user + system. */
  readonly cpuNs: number
}

/** Wall and CPU nanoseconds per call over `count` sequential awaited calls. */
export async function timeRound(call: () => Promise<unknown>, count: number): Promise<RoundTime> {
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  for (let index = 0; index < count; index++) await call()
  const ns = Number(process.hrtime.bigint() - start) / count
  const { user, system } = process.cpuUsage(cpu)
  return { ns, cpuNs: ((user + system) * 1000) / count }
}

/** Wall nanoseconds per call over `count` sequential awaited calls. */
export async function timeCalls(call: () => Promise<unknown>, count: number): Promise<number> {
  return (await timeRound(call, count)).ns
}

/**
 * How many calls make a round of about `roundMs` (at least 1,000): doubling from 1,000 until a
 * timing lasts 20 ms, then scaled. A first guess on cold code; callers time it again once warm
 * ({@link roundCount}).
 */
export async function calibrateCount(call: () => Promise<unknown>, roundMs: number): Promise<number> {
  let count = 1_000
  let ns = await timeCalls(call, count)
  while (ns * count < 20e6) {
    count *= 2
    ns = await timeCalls(call, count)
  }
  return roundCount(ns, roundMs)
}

/** The calls of a round of about `roundMs` at `ns` per call, at least 1,000. */
export function roundCount(ns: number, roundMs: number): number {
  return Math.max(1_000, Math.ceil((roundMs * 1e6) / ns))
}

/**
 * Warm-up: rounds of `count` calls until one is no more than 10% faster than the one before (JIT
 * tiers, connection and CPU state settle over the first thousands of calls), at least `min` calls.
 */
export async function warmUp(call: () => Promise<unknown>, count: number, min: number): Promise<void> {
  await timeCalls(call, min)
  let previous = await timeCalls(call, count)
  for (let round = 0; round < 6; round++) {
    const ns = await timeCalls(call, count)
    if (ns > previous * 0.9) return
    previous = ns
  }
}

/** `times` rounds of `count` calls: wall and CPU nanoseconds per call of each. */
export async function timeRounds(call: () => Promise<unknown>, count: number, times: number): Promise<{ nsPerCall: number[]; cpuNsPerCall: number[] }> {
  const nsPerCall: number[] = []
  const cpuNsPerCall: number[] = []
  for (let round = 0; round < times; round++) {
    const { ns, cpuNs } = await timeRound(call, count)
    nsPerCall.push(ns)
    cpuNsPerCall.push(cpuNs)
  }
  return { nsPerCall, cpuNsPerCall }
}
