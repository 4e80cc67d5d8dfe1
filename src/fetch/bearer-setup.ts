import { invalidArgument } from '../errors/invalid-argument.js'
import { bearerPolicy, type BearerPolicy, type OriginsOption } from './bearer-policy.js'
import { TokenRenewal, type TokenSelection, type TokenSource } from './token-source.js'

/**
 * When a 401 answer makes the wrapper get a new token and send the request again, once:
 * `'invalid_token'` when `WWW-Authenticate` says `Bearer error="invalid_token"`, `'any-401'` for any
 * 401, `'never'` to return the 401 as it is.
 *
 * @example
 * createAuthFetch(client, { origins, retryOnUnauthorized: 'any-401' }) // for an API that sends a bare 401
 */
export type RetryOnUnauthorized = 'invalid_token' | 'any-401' | 'never'

/** The options the fetch wrapper and the interceptor share. */
export interface BearerOptions extends TokenSelection {
  origins: OriginsOption
  allowInsecureHttp?: boolean | undefined
  retryOnUnauthorized?: RetryOnUnauthorized | undefined
}

/** What both need once their options are checked: where the token may go, when to renew, and how. */
export interface BearerSetup {
  mayCarry: BearerPolicy
  retryOn: RetryOnUnauthorized
  renewal: TokenRenewal
}

/** Checks the shared options, throwing a `TypeError` naming the one that is wrong. */
export function bearerSetup(client: TokenSource, options: BearerOptions): BearerSetup {
  if (typeof client?.getToken !== 'function' || typeof client.invalidate !== 'function') {
    throw invalidArgument('client', 'must be a TokenClient')
  }
  const mayCarry = bearerPolicy(options.origins, options.allowInsecureHttp === true)
  const retryOn = options.retryOnUnauthorized ?? 'invalid_token'
  if (!['invalid_token', 'any-401', 'never'].includes(retryOn)) {
    throw invalidArgument('retryOnUnauthorized', "must be 'invalid_token', 'any-401' or 'never'")
  }
  const { scope, audience, resource, params } = options
  return { mayCarry, retryOn, renewal: new TokenRenewal(client, { scope, audience, resource, params }) }
}
