/**
 * The form bodies of the token, introspection and revocation endpoints:
 * `application/x-www-form-urlencoded` (RFC 6749 §4.4.2, App. B), parsed strictly (a bad percent
 * escape is an error, a repeated parameter is reported, §3.2). Pure functions; `readForm` in
 * `steps.ts` applies them to a request.
 */
import { formDecode } from '../../auth/form-encoding.js'

/** Parameters in the order they came, each with every value it was sent with (empty values included). */
export type FormParams = Map<string, string[]>

/** The outcome of {@link parseForm}. */
export interface ParsedForm {
  /** Every parameter with all of its values, empty ones included, in the order they came. */
  readonly params: FormParams
  /**
   * The first parameter sent with a non-empty value more than once, unless it is one that may repeat.
   * Empty values count as absent (§3.2), so `scope=&scope=a` is not a repetition.
   */
  readonly repeated: string | undefined
}

/**
 * Parses a form body strictly: `+` is a space, a malformed percent escape throws `URIError`, empty
 * pairs (`a=1&&b=2`) are skipped and a pair without `=` has the empty value.
 *
 * @param repeatable - parameters that may legitimately repeat, such as `resource` (RFC 8707).
 * @example
 * parseForm('grant_type=client_credentials&scope=a+b', new Set(['resource']))
 * // { params: Map { 'grant_type' => ['client_credentials'], 'scope' => ['a b'] }, repeated: undefined }
 */
export function parseForm(body: string, repeatable: ReadonlySet<string>): ParsedForm {
  const params: FormParams = new Map()
  let repeated: string | undefined
  if (body === '') return { params, repeated }
  for (const pair of body.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const name = decodePart(eq === -1 ? pair : pair.slice(0, eq))
    const value = eq === -1 ? '' : decodePart(pair.slice(eq + 1))
    const values = params.get(name)
    if (values === undefined) {
      params.set(name, [value])
      continue
    }
    if (
      repeated === undefined &&
      value !== '' &&
      !repeatable.has(name) &&
      values.some((previous) => previous !== '')
    ) {
      repeated = name
    }
    values.push(value)
  }
  return { params, repeated }
}

// Most names and values hold nothing to decode; skipping decodeURIComponent for them halves the cost of a body.
function decodePart(part: string): string {
  return part.includes('%') || part.includes('+') ? formDecode(part) : part
}

/**
 * The single meaningful value of a parameter: its first non-empty value, or `undefined` when it is
 * absent or only empty (an empty value counts as absent, RFC 6749 §3.2).
 *
 * @example
 * firstValue(new Map([['scope', ['']]]), 'scope') // undefined
 */
export function firstValue(params: FormParams, name: string): string | undefined {
  const values = params.get(name)
  if (values === undefined) return undefined
  for (const value of values) if (value !== '') return value
  return undefined
}

/** What {@link checkFormContentType} found. */
export type ContentTypeCheck = 'ok' | 'not-form' | 'bad-charset'

const FORM_TYPE = 'application/x-www-form-urlencoded'

/**
 * Checks the request's `Content-Type`: `application/x-www-form-urlencoded` (case-insensitive), with
 * parameters allowed; a `charset` parameter must be UTF-8, the only encoding App. B allows.
 *
 * @example
 * checkFormContentType('application/x-www-form-urlencoded;charset=UTF-8') // 'ok'
 * checkFormContentType('application/json') // 'not-form'
 */
export function checkFormContentType(header: string | undefined): ContentTypeCheck {
  if (header === undefined) return 'not-form'
  const semi = header.indexOf(';')
  const type = (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase()
  if (type !== FORM_TYPE) return 'not-form'
  if (semi === -1) return 'ok'
  for (const param of header.slice(semi + 1).split(';')) {
    const eq = param.indexOf('=')
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue
    let charset = param.slice(eq + 1).trim().toLowerCase()
    if (charset.length >= 2 && charset.startsWith('"') && charset.endsWith('"')) charset = charset.slice(1, -1)
    if (charset !== 'utf-8') return 'bad-charset'
  }
  return 'ok'
}
