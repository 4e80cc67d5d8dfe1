/**
 * Finding out how a token request authenticates (RFC 6749 §2.3): HTTP Basic with form-encoded parts
 * (§2.3.1, App. B), `client_id` + `client_secret` in the body, neither, or more than one.
 * Only extraction happens here; the secret is checked by the client registry.
 */
import { isAscii } from 'node:buffer'
import { formDecode } from '../auth/form-encoding.js'
import { firstValue, type FormParams } from './form-body.js'

/** How a request tried to authenticate; `multiple` is Basic plus `client_secret` in the body. */
export type AuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none' | 'multiple'

/** Credentials taken from a request; the secret is still unverified. */
export interface ExtractedCredentials {
  readonly ok: true
  readonly method: AuthMethod
  /** The claimed client id, from Basic or the body; `undefined` when none was sent. */
  readonly clientId: string | undefined
  /** The presented secret; `undefined` when none was sent. Never log it. */
  readonly secret: string | undefined
  /** Basic only: true when form-decoding changed the user-id or the password. */
  readonly basicFormEncoded: boolean | undefined
}

/** A request whose credentials are unusable: answered with `status` and `error` before anything else is looked at. */
export interface CredentialsFailure {
  readonly ok: false
  readonly method: AuthMethod
  readonly clientId: string | undefined
  readonly basicFormEncoded: boolean | undefined
  readonly status: 400 | 401
  readonly error: 'invalid_request' | 'invalid_client'
  readonly description: string
}

/** A decoded `Authorization: Basic` header. */
export interface BasicCredentials {
  readonly clientId: string
  readonly secret: string
  /**
   * True when form-decoding changes either part. For raw credentials: whether it would have (false
   * when a part is not valid form-encoding), a hint that the client form-encoded them.
   */
  readonly formEncoded: boolean
}

/** Why {@link parseBasicAuthorization} gave up. */
export type BasicFailure = 'not-basic' | 'malformed' | 'bad-escape'

/**
 * Decides whether Basic credentials are taken raw (not form-decoded), given the user-id as sent and
 * as form-decoded (`undefined` when it is not valid form-encoding).
 *
 * @example
 * const rawFor: RawBasicDecider = (rawId) => rawId === 'legacy-client'
 */
export type RawBasicDecider = (rawUserId: string, decodedUserId: string | undefined) => boolean

const BASIC = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i
const utf8 = new TextDecoder('utf-8', { fatal: true })
// Before `==` only the top 2 bits of the last character carry data (A Q g w), before `=` the top 4.
const CANONICAL_BASE64_END = /(?:[AQgw]==|[AEIMQUYcgkosw048]=|[^=])$/

/**
 * Decodes `Authorization: Basic base64(formEncode(id) ":" formEncode(secret))` (RFC 6749 §2.3.1):
 * strict padded base64 of UTF-8, split on the FIRST colon, then each part form-decoded (`+` is a
 * space). Returns `'not-basic'` for another scheme, `'malformed'` for bad base64 or no colon, and
 * `'bad-escape'` for a malformed percent escape. When `rawFor` says so, the parts are taken as they
 * are instead (RFC 7617 style): no decoding, so no `'bad-escape'` either. Without `rawFor`, never raw.
 *
 * @example
 * parseBasicAuthorization('Basic ' + btoa('svc:s3cr%3Aet%25'))
 * // { clientId: 'svc', secret: 's3cr:et%', formEncoded: true }
 * parseBasicAuthorization('Basic ' + btoa('svc:100%'), () => true)
 * // { clientId: 'svc', secret: '100%', formEncoded: false }
 */
export function parseBasicAuthorization(header: string, rawFor?: RawBasicDecider): BasicCredentials | BasicFailure {
  const match = BASIC.exec(header)
  if (match === null) return /^basic(?: |$)/i.test(header) ? 'malformed' : 'not-basic'
  const encoded = match[1] as string
  if (encoded.length % 4 !== 0) return 'malformed'
  // Buffer ignores stray bits in the last character before padding; canonical base64 has none.
  if (!CANONICAL_BASE64_END.test(encoded)) return 'malformed'
  const bytes = Buffer.from(encoded, 'base64')
  let decoded: string
  try {
    decoded = isAscii(bytes) ? bytes.toString('latin1') : utf8.decode(bytes)
  } catch {
    return 'malformed'
  }
  const colon = decoded.indexOf(':')
  if (colon === -1) return 'malformed'
  const rawId = decoded.slice(0, colon)
  const rawSecret = decoded.slice(colon + 1)
  const clientId = tryFormDecode(rawId)
  const secret = tryFormDecode(rawSecret)
  const decodable = clientId !== undefined && secret !== undefined
  const formEncoded = decodable && (clientId !== rawId || secret !== rawSecret)
  if (rawFor?.(rawId, clientId) === true) return { clientId: rawId, secret: rawSecret, formEncoded }
  if (!decodable) return 'bad-escape'
  return { clientId, secret, formEncoded }
}

function tryFormDecode(value: string): string | undefined {
  if (!value.includes('%') && !value.includes('+')) return value
  try {
    return formDecode(value)
  } catch {
    return undefined
  }
}

/**
 * Works out the authentication method and the claimed credentials of a token request (RFC 6749 §2.3):
 * Basic, `client_secret_post`, or none. Refuses two methods at once and a body `client_id` that
 * differs from the Basic user-id (400 `invalid_request`, §2.3), a second Authorization header
 * (400), a bad percent escape (400), and a malformed or non-Basic Authorization header (401 `invalid_client`).
 *
 * @param authorization - the `Authorization` header, if any.
 * @param repeatedAuthorization - true when the request carried more than one `Authorization` header.
 * @param rawBasic - when it says so, Basic credentials are taken raw (see {@link parseBasicAuthorization}).
 * @example
 * extractCredentials(undefined, false, new Map([['client_id', ['svc']], ['client_secret', ['x']]]))
 * // { ok: true, method: 'client_secret_post', clientId: 'svc', secret: 'x', basicFormEncoded: undefined }
 */
export function extractCredentials(
  authorization: string | undefined,
  repeatedAuthorization: boolean,
  params: FormParams,
  rawBasic?: RawBasicDecider,
): ExtractedCredentials | CredentialsFailure {
  const bodyId = firstValue(params, 'client_id')
  const bodySecret = firstValue(params, 'client_secret')
  if (authorization === undefined) {
    if (bodySecret !== undefined) {
      const method = 'client_secret_post'
      return { ok: true, method, clientId: bodyId, secret: bodySecret, basicFormEncoded: undefined }
    }
    return { ok: true, method: 'none', clientId: bodyId, secret: undefined, basicFormEncoded: undefined }
  }
  if (repeatedAuthorization) {
    return fail('multiple', bodyId, undefined, 400, 'invalid_request', 'more than one Authorization header')
  }
  const basic = parseBasicAuthorization(authorization, rawBasic)
  switch (basic) {
    case 'not-basic':
      return fail('none', bodyId, undefined, 401, 'invalid_client', 'unsupported authentication scheme, use Basic')
    case 'malformed':
      return fail('client_secret_basic', undefined, undefined, 401, 'invalid_client', 'malformed Basic credentials')
    case 'bad-escape':
      return fail(
        'client_secret_basic',
        undefined,
        undefined,
        400,
        'invalid_request',
        'malformed percent escape in Basic credentials',
      )
  }
  if (bodySecret !== undefined) {
    return fail(
      'multiple',
      basic.clientId,
      basic.formEncoded,
      400,
      'invalid_request',
      'more than one client authentication method',
    )
  }
  if (bodyId !== undefined && bodyId !== basic.clientId) {
    return fail(
      'client_secret_basic',
      basic.clientId,
      basic.formEncoded,
      400,
      'invalid_request',
      'client_id does not match the Basic user-id',
    )
  }
  return {
    ok: true,
    method: 'client_secret_basic',
    clientId: basic.clientId,
    secret: basic.secret,
    basicFormEncoded: basic.formEncoded,
  }
}

function fail(
  method: AuthMethod,
  clientId: string | undefined,
  basicFormEncoded: boolean | undefined,
  status: 400 | 401,
  error: 'invalid_request' | 'invalid_client',
  description: string,
): CredentialsFailure {
  return { ok: false, method, clientId, basicFormEncoded, status, error, description }
}
