import { setTimeout as sleep } from 'node:timers/promises'

/** Resolves once `condition()` holds, checking every few milliseconds; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const giveUpAt = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > giveUpAt) throw new Error(`condition not met within ${timeoutMs} ms`)
    await sleep(2)
  }
}
