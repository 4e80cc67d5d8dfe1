/**
 * Quirk profiles: deliberate, documented departures from the specs that make the token endpoint
 * answer like real servers that bend the rules, so a client can be tested against each of them.
 * Every function here is pure; the token endpoint's steps (`token-controls.ts`) and the error
 * writer (`answerError`) apply them.
 */
import { invalidArgument } from '../../errors/invalid-argument.js'

/**
 * One way the token endpoint may bend the rules, as real servers do:
 *
 * - `errors-as-400`: every error status of the token endpoint becomes 400, `invalid_client` included
 *   (no `WWW-Authenticate` then, as it goes with 401 only).
 * - `lowercase-bearer`: `token_type` is `bearer`.
 * - `string-expires-in`: `expires_in` is a numeric string, `"3600"`.
 * - `no-expires-in`: `expires_in` is left out (it wins over `string-expires-in`).
 * - `no-scope-echo`: `scope` is never sent in a success response, even when it differs from the request.
 * - `raw-basic`: Basic credentials are not form-decoded; the part after the first colon is compared as
 *   it is, so a `%` or `+` is an ordinary character and a malformed escape is no error.
 * - `form-response`: success and error bodies are `application/x-www-form-urlencoded`, whatever `Accept` says.
 *
 * @example
 * const quirk: Quirk = 'errors-as-400'
 */
export type Quirk =
  | 'errors-as-400'
  | 'lowercase-bearer'
  | 'string-expires-in'
  | 'no-expires-in'
  | 'no-scope-echo'
  | 'raw-basic'
  | 'form-response'

/**
 * Every {@link Quirk}, in the order the log reports them.
 *
 * @example
 * for (const quirk of QUIRKS) {
 *   const server = await startReferenceServer({ clients, quirks: [quirk] })
 *   // ... run the client against it ...
 * }
 */
export const QUIRKS: readonly Quirk[] = Object.freeze([
  'errors-as-400',
  'lowercase-bearer',
  'string-expires-in',
  'no-expires-in',
  'no-scope-echo',
  'raw-basic',
  'form-response',
])

/** No quirk: a strictly compliant answer. */
export const NO_QUIRKS: readonly Quirk[] = Object.freeze([])

/**
 * Validates a list of quirks and returns it frozen, without duplicates, in {@link QUIRKS} order.
 * Throws a `TypeError` (`ERR_INVALID_ARG_VALUE`) naming `name` for anything else.
 *
 * @example
 * checkQuirks(['form-response', 'errors-as-400'], 'options.quirks') // ['errors-as-400', 'form-response']
 */
export function checkQuirks(value: unknown, name: string): readonly Quirk[] {
  if (!Array.isArray(value)) throw invalidArgument(name, 'must be an array of quirks')
  for (const quirk of value) {
    if (!(QUIRKS as readonly unknown[]).includes(quirk)) {
      throw invalidArgument(name, `must hold only ${QUIRKS.map((known) => `'${known}'`).join(', ')}`)
    }
  }
  if (value.length === 0) return NO_QUIRKS
  return Object.freeze(QUIRKS.filter((quirk) => value.includes(quirk)))
}

/**
 * The status an error is answered with: 400 under `errors-as-400` for every 4xx and 5xx, else `status`.
 *
 * @example
 * errorStatus(401, ['errors-as-400']) // 400
 * errorStatus(401, []) // 401
 */
export function errorStatus(status: number, quirks: readonly Quirk[]): number {
  return status >= 400 && quirks.includes('errors-as-400') ? 400 : status
}

/** The members of a success response before quirks are applied. */
export type TokenResponseFields = {
  readonly access_token: string
  /** `DPoP` for a DPoP-bound token (RFC 9449 §5), else `Bearer`. */
  readonly token_type: 'Bearer' | 'DPoP'
  /** Seconds. */
  readonly expires_in: number
  /** The granted scopes joined with single spaces; absent when none were granted. */
  readonly scope?: string
}

/**
 * The success response's members after `lowercase-bearer`, `string-expires-in`, `no-expires-in`
 * and `no-scope-echo`.
 *
 * @example
 * quirkedTokenFields({ access_token: 'x', token_type: 'Bearer', expires_in: 60 }, ['string-expires-in'])
 * // { access_token: 'x', token_type: 'Bearer', expires_in: '60' }
 */
export function quirkedTokenFields(
  fields: TokenResponseFields,
  quirks: readonly Quirk[],
): Readonly<Record<string, unknown>> {
  if (quirks.length === 0) return fields
  const shaped: Record<string, unknown> = { ...fields }
  // Only Bearer: the quirk copies servers that predate DPoP.
  if (quirks.includes('lowercase-bearer') && fields.token_type === 'Bearer') shaped['token_type'] = 'bearer'
  if (quirks.includes('no-expires-in')) delete shaped['expires_in']
  else if (quirks.includes('string-expires-in')) shaped['expires_in'] = String(fields.expires_in)
  if (quirks.includes('no-scope-echo')) delete shaped['scope']
  return shaped
}

/** A response body and its media type. */
export interface EncodedBody {
  readonly body: string
  readonly contentType: 'application/json' | 'application/x-www-form-urlencoded'
}

/**
 * Serialises response members as JSON, or as a form under `form-response`. In a form, a string is
 * sent as it is and any other value as its JSON text (`3600`, `true`, `null`).
 *
 * @example
 * encodeFields({ access_token: 'x', expires_in: 60 }, ['form-response']).body
 * // 'access_token=x&expires_in=60'
 */
export function encodeFields(fields: Readonly<Record<string, unknown>>, quirks: readonly Quirk[]): EncodedBody {
  if (!quirks.includes('form-response')) {
    return { body: JSON.stringify(fields), contentType: 'application/json' }
  }
  const form = new URLSearchParams()
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined) form.append(name, typeof value === 'string' ? value : JSON.stringify(value))
  }
  return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' }
}
