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

/** Form parameters that authenticate a token request in its body, in the order they are sent. */
export type AuthParams = ReadonlyArray<readonly [string, string]>

/** What authentication adds to a token request: a header, or body parameters. */
export interface AuthenticationParts {
  readonly authorization: string | undefined
  readonly bodyParams: AuthParams
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

/**
 * When a server refuses these credentials with `invalid_client`, what most likely went wrong, in the
 * order a new user meets the causes, or `undefined` when nothing points anywhere:
 * 1. The answer is a `429` or carries `Retry-After`: the server is throttling the client id after failed
 *    attempts (brute-force protection, RFC 6749 §2.3.1) and refuses even the right secret until then;
 *    nothing about encoding, which cannot be the cause of this answer.
 * 2. The id or secret begins or ends with whitespace, such as the newline a file or `echo` leaves.
 * 3. The encoding mismatch of {@link encodingMismatchHint}, judged without that whitespace.
 *
 * Never includes the id or secret themselves.
 *
 * @param status The HTTP status of the answer (`OAuthError.status`).
 * @param retryAfterMs The answer's `Retry-After` in milliseconds (`OAuthError.retryAfterMs`), if it had one.
 * @example
 * invalidClientHint(credentials, 429, 42_000)
 * // 'the server is refusing this client id for now after failed attempts (brute-force protection),
 * //  the right secret included; retry after 42 s'
 * @example
 * invalidClientHint({ ...credentials, clientSecret: 's3cret\n' }, 401, undefined)
 * // 'the client secret begins or ends with whitespace (a newline from a file or an environment variable?); ...'
 */
export function invalidClientHint(
  credentials: ClientCredentials,
  status: number,
  retryAfterMs: number | undefined,
): string | undefined {
  const padded = paddedCredentials(credentials)
  if (status === 429 || retryAfterMs !== undefined) {
    const wait =
      retryAfterMs === undefined || !Number.isFinite(retryAfterMs)
        ? 'retry later'
        : `retry after ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s`
    const throttled =
      'the server is refusing this client id for now after failed attempts (brute-force protection), ' +
      `the right secret included; ${wait}`
    return padded === undefined ? throttled : `${throttled}; ${padded}, which would explain the failed attempts`
  }
  const trimmed = { ...credentials, clientId: credentials.clientId.trim(), clientSecret: credentials.clientSecret.trim() }
  const encoding = encodingMismatchHint(trimmed)
  if (padded === undefined) return encoding
  const whitespace = `${padded}; servers compare credentials exactly, so remove the whitespace`
  return encoding === undefined ? whitespace : `${whitespace}; also, ${encoding}`
}

/**
 * True when a value begins or ends with whitespace (a space, a tab, a newline, a byte-order mark):
 * what reading a secret from a file or an environment variable often leaves behind.
 *
 * @example
 * hasSurroundingWhitespace('s3cret\n') // true
 * hasSurroundingWhitespace('s3 cret')  // false
 */
export function hasSurroundingWhitespace(value: string): boolean {
  return /^\s|\s$/.test(value)
}

/** Which of id and secret begin or end with whitespace, said without their values. */
function paddedCredentials(credentials: ClientCredentials): string | undefined {
  const padded = [
    hasSurroundingWhitespace(credentials.clientId) ? 'client id' : undefined,
    hasSurroundingWhitespace(credentials.clientSecret) ? 'client secret' : undefined,
  ].filter((name) => name !== undefined)
  if (padded.length === 0) return undefined
  const what = padded.length === 2 ? 'the client id and secret begin or end' : `the ${padded[0]} begins or ends`
  return `${what} with whitespace (a newline from a file or an environment variable?)`
}
