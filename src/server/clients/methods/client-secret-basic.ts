/**
 * `client_secret_basic` (RFC 6749 §2.3.1): the client id and secret in an HTTP Basic
 * `Authorization` header, each part form-encoded (App. B) before base64.
 */
import { formDecode } from '../../../auth/form-encoding.js'
import type { ClientAuthMethod, MethodClaim } from '../client-authentication.js'
import { verifyClientSecret } from '../client-registry.js'

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

const BASIC_SCHEME = /^basic(?: |$)/i
const BASIC = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i
const utf8 = new TextDecoder('utf-8', { fatal: true })
// Before `==` only the top 2 bits of the last character carry data (A Q g w), before `=` the top 4.
const CANONICAL_BASE64_END = /(?:[AQgw]==|[AEIMQUYcgkosw048]=|[^=])$/

/**
 * `client_secret_basic`: used whenever the Authorization header has the Basic scheme; a header
 * that breaks the grammar is 401 `invalid_client`, a bad percent escape 400 `invalid_request`.
 */
export const clientSecretBasic = {
  name: 'client_secret_basic',
  presentedIn: 'authorization-header',
  credentialParams: [],
  clientIdFrom: 'the Basic user-id',
  isUsedBy: (request) => request.authorization !== undefined && BASIC_SCHEME.test(request.authorization),
  read(request): MethodClaim {
    const basic = parseBasicAuthorization(request.authorization ?? '', request.rawBasic)
    switch (basic) {
      case 'not-basic':
      case 'malformed':
        return { ok: false, status: 401, error: 'invalid_client', description: 'malformed Basic credentials' }
      case 'bad-escape':
        return { ok: false, status: 400, error: 'invalid_request', description: 'malformed percent escape in Basic credentials' }
    }
    return { ok: true, clientId: basic.clientId, credential: basic.secret, basicFormEncoded: basic.formEncoded }
  },
  verify: verifyClientSecret,
} as const satisfies ClientAuthMethod

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
  if (match === null) return BASIC_SCHEME.test(header) ? 'malformed' : 'not-basic'
  const encoded = match[1] as string
  if (encoded.length % 4 !== 0) return 'malformed'
  // Buffer ignores stray bits in the last character before padding; canonical base64 has none.
  if (!CANONICAL_BASE64_END.test(encoded)) return 'malformed'
  let decoded: string
  try {
    decoded = utf8.decode(Buffer.from(encoded, 'base64'))
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
