import { ASSERTION_LIFETIME_SECONDS, type AssertionSigning } from './client-assertion.js'
import { formEncode, formEncodingChanges } from './form-encoding.js'

/**
 * How the client proves its identity to the token endpoint (RFC 6749 §2.3.1, RFC 7523 §2.2).
 * - `client_secret_basic`: `Authorization: Basic base64(id:secret)`, the method every server must support.
 * - `client_secret_post`: `client_id` and `client_secret` in the form body.
 * - `private_key_jwt`: a JWT signed with `privateKey`, new for every attempt; no secret is sent.
 * - `client_secret_jwt`: a JWT signed with HMAC (HS256) keyed by `clientSecret`, which is never sent.
 * - `tls_client_auth`: mutual TLS with a certificate a CA issued (RFC 8705 §2.1): the `tls` option's
 *   certificate is presented on the connection, and the body carries `client_id` alone.
 * - `self_signed_tls_client_auth`: mutual TLS with a self-signed certificate registered for the client
 *   (RFC 8705 §2.2); sent as `tls_client_auth` is.
 *
 * See docs/client-authentication.md for choosing one.
 *
 * @example
 * new TokenClient({ ...credentials, authMethod: 'client_secret_post' })
 * @example
 * new TokenClient({ tokenUrl, clientId, authMethod: 'private_key_jwt', privateKey: readFileSync('key.pem', 'utf8') })
 * @example
 * new TokenClient({ tokenUrl, clientId, authMethod: 'tls_client_auth', tls: { cert, key, ca } })
 */
export type AuthMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'private_key_jwt'
  | 'client_secret_jwt'
  | 'tls_client_auth'
  | 'self_signed_tls_client_auth'

/** The methods that send a client assertion (RFC 7523) instead of a secret. */
export type JwtAuthMethod = Extract<AuthMethod, 'private_key_jwt' | 'client_secret_jwt'>

/** True for the methods that sign a client assertion. */
export function isJwtAuthMethod(method: AuthMethod): method is JwtAuthMethod {
  return method === 'private_key_jwt' || method === 'client_secret_jwt'
}

/** The methods that authenticate with the TLS client certificate (RFC 8705 §2). */
export type TlsAuthMethod = Extract<AuthMethod, 'tls_client_auth' | 'self_signed_tls_client_auth'>

/** True for the mutual-TLS methods, which send no secret and no assertion. */
export function isTlsAuthMethod(method: AuthMethod): method is TlsAuthMethod {
  return method === 'tls_client_auth' || method === 'self_signed_tls_client_auth'
}

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
  /** The secret of the secret methods and `client_secret_jwt`; `undefined` with `private_key_jwt`. */
  readonly clientSecret: string | undefined
  readonly authMethod: AuthMethod
  readonly basicEncoding: BasicEncoding
  /** For the JWT methods: what signs the assertions. */
  readonly assertion?: AssertionSigning & {
    /** The public key's RFC 7638 thumbprint (`private_key_jwt`), for hints and logs. */
    readonly thumbprint?: string
  }
  /** With the `tls` option: the leaf certificate's `x5t#S256` (RFC 8705 §3.1), for hints and logs. */
  readonly certificateThumbprint?: string
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

/**
 * The header or body parameters that authenticate a token request with these credentials, as far as
 * they are the same for every request. The JWT methods put only `client_id` here: the assertion is
 * new for every attempt, and appended to the body then (`assertionBodyParams`).
 */
export function authenticationParts(credentials: ClientCredentials): AuthenticationParts {
  // RFC 8705 §2: the certificate on the connection authenticates; the body names the client.
  if (isJwtAuthMethod(credentials.authMethod) || isTlsAuthMethod(credentials.authMethod)) {
    return { authorization: undefined, bodyParams: [['client_id', credentials.clientId]] }
  }
  const secret = credentials.clientSecret ?? ''
  if (credentials.authMethod === 'client_secret_post') {
    return {
      authorization: undefined,
      bodyParams: [
        ['client_id', credentials.clientId],
        ['client_secret', secret],
      ],
    }
  }
  return {
    authorization: basicAuthorization(credentials.clientId, secret, credentials.basicEncoding),
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
  const changed = formEncodingChanges(credentials.clientId) || formEncodingChanges(credentials.clientSecret ?? '')
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
 * 3. The encoding mismatch of {@link encodingMismatchHint}, judged without that whitespace; for the
 *    JWT methods, what an assertion can get wrong instead (see {@link assertionHint}).
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
  const trimmed = { ...credentials, clientId: credentials.clientId.trim(), clientSecret: credentials.clientSecret?.trim() }
  const encoding = isJwtAuthMethod(credentials.authMethod)
    ? assertionHint(credentials)
    : isTlsAuthMethod(credentials.authMethod)
      ? certificateHint(credentials)
      : encodingMismatchHint(trimmed)
  if (padded === undefined) return encoding
  const whitespace = `${padded}; servers compare credentials exactly, so remove the whitespace`
  return encoding === undefined ? whitespace : `${whitespace}; also, ${encoding}`
}

/**
 * What to check when a server refuses a client assertion: the registered key (by `kid` and thumbprint,
 * never the key) or secret, the algorithm, the clocks, and `aud`. Never includes key material.
 *
 * @example
 * assertionHint(credentials)
 * // "the server refused the client assertion (private_key_jwt, ES256, kid 'k1', key thumbprint ...): check that ..."
 */
export function assertionHint(credentials: ClientCredentials): string | undefined {
  const signing = credentials.assertion
  if (signing === undefined) return undefined
  const facts: string[] = [credentials.authMethod, signing.algorithm]
  if (signing.keyId !== undefined) facts.push(`kid '${signing.keyId}'`)
  if (signing.thumbprint !== undefined) facts.push(`key thumbprint ${signing.thumbprint}`)
  const registered =
    credentials.authMethod === 'private_key_jwt'
      ? `the public key registered for this client is the one of privateKey${signing.keyId === undefined ? '' : ' under that kid'}`
      : `the secret registered for client_secret_jwt is clientSecret and ${signing.algorithm} is allowed for it`
  return (
    `the server refused the client assertion (${facts.join(', ')}): check that ${registered}, ` +
    `that the server allows ${signing.algorithm}, that this machine's clock is right (iat now, exp ${ASSERTION_LIFETIME_SECONDS} s later), ` +
    `and that the server accepts aud ${withoutQuery(signing.audience)} (some want their issuer instead: see docs/client-authentication.md)`
  )
}

/**
 * What to check when a server refuses a mutual-TLS client (RFC 8705 §2): the certificate registered
 * (by its `x5t#S256`, never the key), and that it reached the server. Never includes key material.
 *
 * @example
 * certificateHint(credentials)
 * // "the server refused the client certificate (tls_client_auth, x5t#S256 ...): check that ..."
 */
export function certificateHint(credentials: ClientCredentials): string | undefined {
  if (!isTlsAuthMethod(credentials.authMethod)) return undefined
  const thumbprint = credentials.certificateThumbprint === undefined ? '' : `, x5t#S256 ${credentials.certificateThumbprint}`
  const registered =
    credentials.authMethod === 'tls_client_auth'
      ? 'the subject (or the SAN) registered for this client is the one of tls.cert and the server trusts its issuer'
      : 'tls.cert is among the certificates registered for this client (its jwks or jwks_uri)'
  return (
    `the server refused the client certificate (${credentials.authMethod}${thumbprint}): check that ${registered}, ` +
    'and that the certificate reaches the server (a TLS-terminating proxy in front of it must pass it on; with a dispatcher of your own, it must present tls.cert)'
  )
}

/** A URL as a hint may show it: origin and path, never the query or fragment (they may carry a credential). */
function withoutQuery(audience: string): string {
  if (!URL.canParse(audience)) return '(not a URL)'
  const url = new URL(audience)
  return `${url.origin}${url.pathname}`
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
    credentials.clientSecret !== undefined && hasSurroundingWhitespace(credentials.clientSecret) ? 'client secret' : undefined,
  ].filter((name) => name !== undefined)
  if (padded.length === 0) return undefined
  const what = padded.length === 2 ? 'the client id and secret begin or end' : `the ${padded[0]} begins or ends`
  return `${what} with whitespace (a newline from a file or an environment variable?)`
}
