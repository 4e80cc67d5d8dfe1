import { setImmediate, setTimeout as sleep } from 'node:timers/promises'

/** Resolves once `condition()` holds, checking every few milliseconds; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const giveUpAt = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > giveUpAt) throw new Error(`condition not met within ${timeoutMs} ms`)
    await sleep(2)
  }
}

/**
 * Resolves once every promise job queued so far has run, and every job those queue in turn, however
 * long the chain: Node empties the microtask queue (and reports unhandled rejections) before it runs
 * the next immediate. For asserting that something did *not* happen, where there is no condition to
 * wait for; timers and I/O are not waited for.
 */
export async function flushPromises(): Promise<void> {
  await setImmediate()
}
