import { invalidArgument } from '../errors/invalid-argument.js'
import { refuseUnknownOptions, type KnownOptions } from '../errors/unknown-options.js'
import { EXTRA_PARAMS_OPTIONS } from '../request/token-params.js'
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

/** The shared options' names, checked against {@link BearerOptions}: a new option left out is a compile error. */
const BEARER_OPTIONS = {
  origins: true,
  allowInsecureHttp: true,
  retryOnUnauthorized: true,
  scope: true,
  ...EXTRA_PARAMS_OPTIONS,
} as const satisfies Record<keyof BearerOptions, true>

// What users of other libraries type, by what they mean here; close misspellings need no entry.
const BEARER_ALIASES = {
  origin: 'origins',
  allowedOrigins: 'origins',
  hosts: 'origins',
  allowedHosts: 'origins',
  domains: 'origins',
  urls: 'origins',
  scopes: 'scope',
  insecure: 'allowInsecureHttp',
  retryOn401: 'retryOnUnauthorized',
}

/** Which helper the options are for: its name for messages, the options it adds to {@link BearerOptions}, its own aliases. */
export interface BearerCaller {
  name: 'createAuthFetch()' | 'tokenInterceptor()'
  options: KnownOptions
  aliases?: Readonly<Record<string, string>>
}

/**
 * Checks the shared options, and refuses names neither they nor the caller's own options know,
 * throwing a `TypeError` naming the one that is wrong.
 */
export function bearerSetup(client: TokenSource, options: BearerOptions, caller: BearerCaller): BearerSetup {
  refuseUnknownOptions(options, { ...BEARER_OPTIONS, ...caller.options }, {
    owner: caller.name,
    aliases: { ...BEARER_ALIASES, ...caller.aliases },
  })
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
