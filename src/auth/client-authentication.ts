import { formEncode, formEncodingChanges } from './form-encoding.js'

/**
 * How the client proves its identity to the token endpoint (RFC 6749 §2.3.1).
 * - `client_secret_basic`: `Authorization: Basic base64(id:secret)`, the method every server must support.
 * - `client_secret_post`: `client_id` and `client_secret` in the form body.
 *
 * @example
 * new TokenClient({ ...credentials, authMethod: 'client_secret_post' })
 */
export type AuthMethod = 'client_secret_basic' | 'client_secret_post'

/**
 * How `client_secret_basic` treats the id and secret before base64.
 * - `form`: each is form-encoded first, as RFC 6749 §2.3.1 and Appendix B require.
 * - `raw`: sent as they are, for servers that never decode (RFC 2617 style).
 *
 * @example
 * new TokenClient({ ...credentials, basicEncoding: 'raw' })
 */
export type BasicEncoding = 'form' | 'raw'

/** The credentials and method one client authenticates with. */
export interface ClientCredentials {
  readonly clientId: string
  readonly clientSecret: string
  readonly authMethod: AuthMethod
  readonly basicEncoding: BasicEncoding
}

/** What authentication adds to a token request: a header, or body parameters. */
export interface AuthenticationParts {
  readonly authorization: string | undefined
  readonly bodyParams: ReadonlyArray<readonly [string, string]>
}

/**
 * Builds the `Authorization` header value for `client_secret_basic`.
 *
 * @example
 * basicAuthorization('svc', 's3cr:et%', 'form') // 'Basic ' + base64('svc:s3cr%3Aet%25')
 */
export function basicAuthorization(clientId: string, clientSecret: string, encoding: BasicEncoding): string {
  const id = encoding === 'form' ? formEncode(clientId) : clientId
  const secret = encoding === 'form' ? formEncode(clientSecret) : clientSecret
  return `Basic ${Buffer.from(`${id}:${secret}`, 'utf8').toString('base64')}`
}

/** The header or body parameters that authenticate a token request with these credentials. */
export function authenticationParts(credentials: ClientCredentials): AuthenticationParts {
  if (credentials.authMethod === 'client_secret_post') {
    return {
      authorization: undefined,
      bodyParams: [
        ['client_id', credentials.clientId],
        ['client_secret', credentials.clientSecret],
      ],
    }
  }
  return {
    authorization: basicAuthorization(credentials.clientId, credentials.clientSecret, credentials.basicEncoding),
    bodyParams: [],
  }
}

/**
 * When a server refuses these credentials with `invalid_client`, the likely encoding mismatch to mention,
 * or `undefined` when the encoded and raw forms are the same and encoding cannot be the cause.
 * Never includes the id or secret themselves.
 */
export function encodingMismatchHint(credentials: ClientCredentials): string | undefined {
  if (credentials.authMethod !== 'client_secret_basic') return undefined
  const changed = formEncodingChanges(credentials.clientId) || formEncodingChanges(credentials.clientSecret)
  if (!changed) return undefined
  return credentials.basicEncoding === 'form'
    ? "the client id or secret contains characters that client_secret_basic form-encodes before base64 " +
        "(RFC 6749 §2.3.1); if this server does not decode them, set basicEncoding: 'raw' or authMethod: 'client_secret_post'"
    : "the client id or secret contains characters that RFC 6749 §2.3.1 requires to be form-encoded, " +
        "and basicEncoding is 'raw'; try basicEncoding: 'form' or authMethod: 'client_secret_post'"
}
