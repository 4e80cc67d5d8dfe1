import type { Dispatcher } from 'undici'
import { authenticationParts, type AuthParams, type ClientCredentials } from '../auth/client-authentication.js'
import { formTarget, type FormTarget } from '../http/post-form.js'

/**
 * Where and how token requests go: known at construction with `tokenUrl`, after discovery with
 * `issuer`. Everything in it is worked out once.
 */
export interface Endpoint {
  readonly tokenUrl: URL
  readonly credentials: ClientCredentials
  readonly dispatcher: Dispatcher
  /** Where the token URL is POSTed to. */
  readonly target: FormTarget
  /** What every request error names: the endpoint (origin and path, no query) and the client id. */
  readonly errorContext: { readonly endpoint: string; readonly clientId: string }
  /** The request headers, the same for every token request. */
  readonly headers: Readonly<Record<string, string>>
  /** The authentication parameters sent in the body (`client_secret_post`); none with Basic. */
  readonly authParams: AuthParams
  /** The JWT methods: what signs the assertion each attempt appends to the prepared body. */
  readonly assertion: ClientCredentials['assertion']
}

/**
 * The {@link Endpoint} of a token URL and the credentials that authenticate there.
 *
 * @example
 * const endpoint = endpointOf(new URL('https://id.example.com/token'), credentials, pool, 'orders-service/2.3.0')
 */
export function endpointOf(tokenUrl: URL, credentials: ClientCredentials, dispatcher: Dispatcher, userAgent: string): Endpoint {
  const auth = authenticationParts(credentials)
  return {
    tokenUrl,
    credentials,
    dispatcher,
    target: formTarget(tokenUrl),
    errorContext: { endpoint: `${tokenUrl.origin}${tokenUrl.pathname}`, clientId: credentials.clientId },
    headers: Object.freeze({
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': userAgent,
      ...(auth.authorization !== undefined && { authorization: auth.authorization }),
    }),
    authParams: auth.bodyParams,
    assertion: credentials.assertion,
  }
}
