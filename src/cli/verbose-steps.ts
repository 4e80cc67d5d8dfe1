/**
 * `token --verbose`: each step of the token request on stderr, from the client's diagnostics
 * channels (docs/observability.md): the discovery and the method it chose, each attempt with its
 * status, time and what follows it (a retry and its wait, a DPoP nonce retry), and how the request
 * ended. Nothing it prints holds a secret, a key, an assertion, a proof or the token: the channels
 * carry none, and the error messages are the client's own, redacted ones.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import {
  ATTEMPT_CHANNEL,
  DISCOVERY_CHANNEL,
  tokenChannel,
  type DiscoveryMessage,
  type TokenAcquisitionMessage,
  type TokenAttemptMessage,
} from '../observability/channels.js'

/** Where the lines go: one call a line, without its newline. */
export type StepWriter = (line: string) => void

const PREFIX = 'oauth2-client-credentials:'

function ms(value: number): string {
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function scopeText(scope: string): string {
  return scope === '' ? 'no scope' : `scope "${scope}"`
}

/**
 * Writes the steps of every token request made while subscribed, through `write`; returns the
 * function that stops it.
 *
 * @example
 * const stop = printSteps((line) => process.stderr.write(`${line}\n`))
 * try { await client.getToken('api:read') } finally { stop() }
 */
export function printSteps(write: StepWriter): () => void {
  const onDiscovery = (message: unknown): void => {
    const { client, outcome, durationMs, tokenEndpoint, authMethod, error } = message as DiscoveryMessage
    write(
      outcome === 'success'
        ? `${PREFIX} discovered ${client.issuer ?? ''} in ${ms(durationMs)}: token endpoint ${tokenEndpoint ?? '?'}, auth method ${authMethod ?? '?'}`
        : `${PREFIX} discovery of ${client.issuer ?? ''} failed after ${ms(durationMs)}: ${errorText(error)}`,
    )
  }
  const onStart = (message: unknown): void => {
    const { client, scope, trigger } = message as TokenAcquisitionMessage
    const method = client.authMethod === undefined ? '' : ` with ${client.authMethod}`
    write(`${PREFIX} token request (${trigger}) for ${scopeText(scope)} to ${client.tokenEndpoint ?? client.issuer ?? '?'} as ${client.clientId}${method}`)
  }
  const onAttempt = (message: unknown): void => {
    const { attempt, status, durationMs, outcome, errorCode, oauthError, reason, retryDelayMs } = message as TokenAttemptMessage
    const answer = status === undefined ? 'no answer' : `${status}${oauthError === undefined ? '' : ` ${oauthError}`}`
    const failed = outcome === 'failure' && errorCode !== undefined ? ` (${errorCode})` : ''
    const next =
      reason === 'dpop-nonce'
        ? ', sent again at once with the DPoP nonce'
        : reason === 'retry'
          ? `, retried${retryDelayMs === undefined ? '' : ` after ${ms(retryDelayMs)}`}`
          : ''
    write(`${PREFIX}   attempt ${attempt}: ${answer} in ${ms(durationMs)}${failed}${next}`)
  }
  const onEnd = (message: unknown): void => {
    const { outcome, attempts, durationMs, errorCode } = message as TokenAcquisitionMessage
    const requests = attempts === undefined ? '' : ` after ${attempts} request${attempts === 1 ? '' : 's'}`
    const took = durationMs === undefined ? '' : ` in ${ms(durationMs)}`
    write(
      outcome === 'success'
        ? `${PREFIX} token from the token endpoint${requests}${took}`
        : `${PREFIX} token request ${outcome ?? 'ended'}${requests}${took}${errorCode === undefined ? '' : ` (${errorCode})`}`,
    )
  }
  subscribe(DISCOVERY_CHANNEL, onDiscovery)
  subscribe(ATTEMPT_CHANNEL, onAttempt)
  tokenChannel.start.subscribe(onStart)
  tokenChannel.asyncEnd.subscribe(onEnd)
  let stopped = false
  return () => {
    if (stopped) return
    stopped = true
    unsubscribe(DISCOVERY_CHANNEL, onDiscovery)
    unsubscribe(ATTEMPT_CHANNEL, onAttempt)
    tokenChannel.start.unsubscribe(onStart)
    tokenChannel.asyncEnd.unsubscribe(onEnd)
  }
}
