import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { isTokenClientError } from '../errors/token-client-error.js'
import { callHook } from '../hooks/call-hook.js'
import {
  ATTEMPT_CHANNEL,
  DISCOVERY_CHANNEL,
  REFRESH_FAILED_CHANNEL,
  SHARED_CACHE_CHANNEL,
  tokenChannel,
  type DiscoveryMessage,
  type RefreshFailedMessage,
  type SharedCacheMessage,
  type TokenAcquisitionMessage,
  type TokenAttemptMessage,
  type TokenClientInfo,
} from './channels.js'

/**
 * A logger {@link logTokenEvents} writes to: pino, winston, bunyan, `console`, or anything with
 * `info`, `warn` and `error` methods. `debug`, when it has one, gets the DPoP nonce retries.
 */
export interface TokenEventLogger {
  /** Successful token requests, discoveries, a shared cache that is back. */
  info(first: unknown, second?: unknown): unknown
  /** Retries, failed background refreshes, shared-cache problems. */
  warn(first: unknown, second?: unknown): unknown
  /** Failed token requests and discoveries. */
  error(first: unknown, second?: unknown): unknown
  /** DPoP nonce retries, when the logger has it. */
  debug?(first: unknown, second?: unknown): unknown
}

/**
 * In which order a log method takes its arguments: `(fields, message)` as pino and bunyan do
 * (`object-first`), or `(message, fields)` as `console` and winston do (`message-first`).
 */
export type LogArgumentOrder = 'object-first' | 'message-first'

/** Options of {@link logTokenEvents}. */
export interface LogTokenEventsOptions {
  /**
   * The argument order of the logger's methods.
   * @default 'object-first' for a logger with `child()` and no `log()` (pino, bunyan); 'message-first' otherwise (console, winston)
   */
  readonly argumentOrder?: LogArgumentOrder
  /**
   * The level of a successful token request's line: `debug` keeps them out of an `info` log.
   * @default 'info'
   */
  readonly successLevel?: 'info' | 'debug'
}

/**
 * The fields of every line: what happened (`event`), the client (id, endpoint or issuer, method),
 * and the event's own facts. Never a token, secret, key, assertion or proof; an error shows as its
 * `code`, OAuth `error`, `status` and message, never its `cause` or stack.
 */
export interface TokenLogFields {
  /** `oauth2.token.request`, `oauth2.token.retry`, `oauth2.token.dpop_nonce`, `oauth2.refresh.failed`, `oauth2.shared_cache` or `oauth2.discovery`. */
  readonly event: string
  /** The client id. */
  readonly clientId: string
  /** The token endpoint, origin and path. */
  readonly tokenEndpoint?: string
  /** The `issuer` option. */
  readonly issuer?: string
  /** The client-authentication method. */
  readonly authMethod?: string
  /** The rest: `scope`, `trigger`, `outcome`, `attempts`, `durationMs`, `errorCode`, `oauthError`, `status`... */
  readonly [field: string]: unknown
}

type Level = 'debug' | 'info' | 'warn' | 'error'

/** What a line shows of an error: the message of the package's own errors (which never hold a secret), else only its kind. */
function errorText(error: unknown): string {
  if (isTokenClientError(error)) return error.message
  return error instanceof Error ? error.name : 'unknown error'
}

const clientFields = (client: TokenClientInfo) => ({
  clientId: client.clientId,
  ...(client.tokenEndpoint !== undefined && { tokenEndpoint: client.tokenEndpoint }),
  ...(client.issuer !== undefined && { issuer: client.issuer }),
  ...(client.authMethod !== undefined && { authMethod: client.authMethod }),
})

const scopeText = (scope: string): string => (scope === '' ? 'the default scope' : `scope "${scope}"`)
const ms = (value: number | undefined): string => `${Math.round(value ?? 0)} ms`

/**
 * Writes one log line per token request, retry, failed background refresh, shared-cache problem
 * and discovery, from the package's `node:diagnostics_channel` channels: no wrapper around the
 * client, and every client of the process is covered. Cache hits are not logged. Returns the
 * function that stops it.
 *
 * No line holds a token, secret, key, assertion or proof: the fields are the client's id, endpoint
 * and method, the scope, and an error's code, OAuth `error`, status and message. A logger that throws
 * is reported as an `OAUTH2CC_HOOK_FAILED` process warning and changes nothing else.
 *
 * @param logger pino, winston, `console`, or any object with `info`, `warn` and `error`.
 * @returns A function that unsubscribes; calling it again does nothing.
 * @example
 * import pino from 'pino'
 * const stop = logTokenEvents(pino())
 * // {"level":30,"event":"oauth2.token.request","clientId":"svc","scope":"orders:read","outcome":"success","attempts":1,"durationMs":41.7,"msg":"token request for scope \"orders:read\" succeeded (cold, 1 attempt, 42 ms)"}
 * @example
 * logTokenEvents(console) // token request for scope "orders:read" succeeded (cold, 1 attempt, 42 ms) { event: 'oauth2.token.request', ... }
 * @example
 * logTokenEvents(winston.createLogger({ transports: [new winston.transports.Console()] }), { successLevel: 'debug' })
 */
export function logTokenEvents(logger: TokenEventLogger, options: LogTokenEventsOptions = {}): () => void {
  const loose = logger as unknown as Record<string, unknown>
  const order: LogArgumentOrder =
    options.argumentOrder ?? (typeof loose['child'] === 'function' && typeof loose['log'] !== 'function' ? 'object-first' : 'message-first')
  const successLevel = options.successLevel ?? 'info'

  const write = (level: Level, message: string, fields: TokenLogFields): void => {
    const method = level === 'debug' ? logger.debug : logger[level]
    if (typeof method !== 'function') return
    const call = order === 'object-first' ? () => method.call(logger, fields, message) : () => method.call(logger, message, fields)
    callHook('logTokenEvents logger', call)
  }

  const onRequest = (message: TokenAcquisitionMessage): void => {
    const { outcome = 'success', attempts = 0, durationMs, trigger, scope } = message
    const fields: TokenLogFields = {
      event: 'oauth2.token.request',
      ...clientFields(message.client),
      scope,
      trigger,
      outcome,
      attempts,
      ...(durationMs !== undefined && { durationMs }),
      ...(message.errorCode !== undefined && { errorCode: message.errorCode }),
      ...(message.oauthError !== undefined && { oauthError: message.oauthError }),
    }
    const counted = `${trigger}, ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}, ${ms(durationMs)}`
    if (outcome === 'success') write(successLevel, `token request for ${scopeText(scope)} succeeded (${counted})`, fields)
    else if (outcome === 'aborted') write('info', `token request for ${scopeText(scope)} was abandoned (${counted}): ${errorText(message.error)}`, fields)
    else write('error', `token request for ${scopeText(scope)} failed (${counted}): ${errorText(message.error)}`, fields)
  }

  const onAttempt = (raw: unknown): void => {
    const message = raw as TokenAttemptMessage
    if (message.reason === undefined) return
    const fields: TokenLogFields = {
      event: message.reason === 'retry' ? 'oauth2.token.retry' : 'oauth2.token.dpop_nonce',
      ...clientFields(message.client),
      scope: message.scope,
      attempt: message.attempt,
      durationMs: message.durationMs,
      ...(message.status !== undefined && { status: message.status }),
      ...(message.errorCode !== undefined && { errorCode: message.errorCode }),
      ...(message.oauthError !== undefined && { oauthError: message.oauthError }),
      ...(message.retryDelayMs !== undefined && { retryDelayMs: message.retryDelayMs }),
    }
    if (message.reason === 'dpop-nonce') {
      write('debug', `token request for ${scopeText(message.scope)}: the server asked for a DPoP nonce; sending again with it`, fields)
      return
    }
    // Published as the retry starts: the wait is over, and says how long it was.
    const wait = message.retryDelayMs === undefined ? '' : ` after ${ms(message.retryDelayMs)}`
    write('warn', `token request attempt ${message.attempt} for ${scopeText(message.scope)} failed, retried${wait}: ${errorText(message.error)}`, fields)
  }

  const onRefreshFailed = (raw: unknown): void => {
    const message = raw as RefreshFailedMessage
    write('warn', `background refresh of the token for ${scopeText(message.scope)} failed; the cached token is still served: ${errorText(message.error)}`, {
      event: 'oauth2.refresh.failed',
      ...clientFields(message.client),
      scope: message.scope,
      ...(message.errorCode !== undefined && { errorCode: message.errorCode }),
      ...(message.oauthError !== undefined && { oauthError: message.oauthError }),
      ...(message.status !== undefined && { status: message.status }),
    })
  }

  const onSharedCache = (raw: unknown): void => {
    const message = raw as SharedCacheMessage
    const fields: TokenLogFields = {
      event: 'oauth2.shared_cache',
      ...clientFields(message.client),
      sharedCacheEvent: message.event,
      breaker: message.breaker,
      ...(message.code !== undefined && { errorCode: message.code }),
      ...(message.operation !== undefined && { operation: message.operation }),
      ...(message.reason !== undefined && { reason: message.reason }),
    }
    if (message.event === 'breaker-closed') write('info', 'shared cache answers again: no longer skipped', fields)
    else write('warn', `shared cache: ${message.message ?? message.code ?? 'a problem'} (a miss; the token server is asked)`, fields)
  }

  const onDiscovery = (raw: unknown): void => {
    const message = raw as DiscoveryMessage
    const fields: TokenLogFields = {
      event: 'oauth2.discovery',
      ...clientFields(message.client),
      outcome: message.outcome,
      durationMs: message.durationMs,
      ...(message.errorCode !== undefined && { errorCode: message.errorCode }),
    }
    if (message.outcome === 'success') write('info', `discovered the token endpoint ${message.tokenEndpoint ?? ''} (${message.authMethod ?? 'method unknown'}, ${ms(message.durationMs)})`, fields)
    else write('error', `discovery of ${message.client.issuer ?? 'the issuer'} failed: ${errorText(message.error)}`, fields)
  }

  // asyncEnd alone: it follows every request's end, a failure's `error` event included.
  const onRequestEnd = (raw: unknown): void => onRequest(raw as TokenAcquisitionMessage)
  tokenChannel.asyncEnd.subscribe(onRequestEnd)
  const plain: Array<[string, (message: unknown) => void]> = [
    [ATTEMPT_CHANNEL, onAttempt],
    [REFRESH_FAILED_CHANNEL, onRefreshFailed],
    [SHARED_CACHE_CHANNEL, onSharedCache],
    [DISCOVERY_CHANNEL, onDiscovery],
  ]
  for (const [name, listener] of plain) subscribe(name, listener)
  let subscribed = true
  return () => {
    if (!subscribed) return
    subscribed = false
    tokenChannel.asyncEnd.unsubscribe(onRequestEnd)
    for (const [name, listener] of plain) unsubscribe(name, listener)
  }
}
