import { flushPromises } from './wait-for.js'

/**
 * Records the warnings the process emits (`MaxListenersExceededWarning`, `TimeoutOverflowWarning`...)
 * from now until `stop()`, which waits for warnings still on their way (Node emits them on the next
 * tick: {@link flushPromises} outlasts it) and returns them.
 */
export function recordWarnings(): { stop: () => Promise<Error[]> } {
  return recordProcessEvents<Error>('warning', flushPromises)
}

/**
 * Records the promise rejections left unhandled from now until `stop()`, which waits a millisecond
 * for rejections still on their way and returns their reasons.
 */
export function recordUnhandledRejections(): { stop: () => Promise<unknown[]> } {
  return recordProcessEvents<unknown>('unhandledRejection', () => new Promise((resolve) => setTimeout(resolve, 1)))
}

function recordProcessEvents<T>(event: 'warning' | 'unhandledRejection', settle: () => Promise<unknown>): { stop: () => Promise<T[]> } {
  const seen: T[] = []
  const onEvent = (value: T): void => void seen.push(value)
  process.on(event, onEvent)
  return {
    stop: async () => {
      await settle()
      process.off(event, onEvent)
      return seen
    },
  }
}
