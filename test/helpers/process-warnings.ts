import { setImmediate as tick } from 'node:timers/promises'

/**
 * Records the warnings the process emits (`MaxListenersExceededWarning`, `TimeoutOverflowWarning`...)
 * from now until `stop()`, which waits one turn for warnings still on their way (Node emits them on
 * the next tick) and returns them.
 */
export function recordWarnings(): { stop: () => Promise<Error[]> } {
  const warnings: Error[] = []
  const onWarning = (warning: Error): void => void warnings.push(warning)
  process.on('warning', onWarning)
  return {
    stop: async () => {
      await tick()
      process.off('warning', onWarning)
      return warnings
    },
  }
}
