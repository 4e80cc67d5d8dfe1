/**
 * The longest delay Node's timers honour: 2^31-1 ms, about 24.8 days. `setTimeout` fires a longer
 * delay after 1 ms instead (with a `TimeoutOverflowWarning`), so every option that arms a timer is
 * refused above it.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1
