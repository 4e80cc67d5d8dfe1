/**
 * The `code` of the process warning emitted when a caller's hook (`retry.onRetry`, `onRefreshError`)
 * throws or, if it is async, rejects. The warning's `name` is `Warning`; its message names the hook
 * and nothing else (what the hook threw may hold a token or a secret), and its `cause` is what the
 * hook threw.
 *
 * @example
 * process.on('warning', (warning) => {
 *   if ((warning as Error & { code?: string }).code === HOOK_FAILED_WARNING) log.error(warning.cause, warning.message)
 * })
 */
export const HOOK_FAILED_WARNING = 'OAUTH2CC_HOOK_FAILED'

/**
 * Calls a caller's hook, which reports on an outcome and must not change it: what the hook throws
 * (or, from an async hook, rejects with) is reported once as a process warning with code
 * {@link HOOK_FAILED_WARNING} and is otherwise ignored, so the retry or refresh goes on as if the
 * hook had returned. Nothing happens when `hook` is `undefined`.
 *
 * @param name The hook as the caller spells the option, such as `retry.onRetry`: the warning names it.
 * @example
 * callHook('retry.onRetry', policy.onRetry, event)
 */
export function callHook<A extends unknown[]>(name: string, hook: ((...args: A) => unknown) | undefined, ...args: A): void {
  if (hook === undefined) return
  let result: unknown
  try {
    result = hook(...args)
  } catch (error) {
    warnHookFailed(name, error)
    return
  }
  // The hooks are typed to return void, which an async function satisfies: its rejection would
  // otherwise be unhandled, and by default end the process.
  if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
    ;(result as PromiseLike<unknown>).then(undefined, (error: unknown) => warnHookFailed(name, error))
  }
}

function warnHookFailed(name: string, thrown: unknown): void {
  // Not the thrown error's message: it is the caller's text and may carry a token or a secret.
  const warning = new Error(`${name} threw; the client carried on`, { cause: thrown })
  warning.name = 'Warning'
  process.emitWarning(Object.assign(warning, { code: HOOK_FAILED_WARNING }))
}
