/**
 * How the reference server answers: JSON bodies with `Cache-Control: no-store` and `Pragma: no-cache`
 * on every response (RFC 6749 §5.1), and OAuth error bodies (§5.2).
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'

/** The realm of the `WWW-Authenticate: Basic` challenge sent with every 401. */
export const BASIC_REALM = 'reference-server'

const WWW_AUTHENTICATE = `Basic realm="${BASIC_REALM}"`

/**
 * The error codes this server answers with (RFC 6749 §5.2, RFC 8707 §2, RFC 6750 §3.1 for the
 * protected resource, and `not_found` of its own for unknown paths).
 */
export type ServerErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'not_found'

// error_description = 1*( %x20-21 / %x23-5B / %x5D-7E ): no double quote, no backslash (RFC 6749 §5.2).
const ERROR_TEXT = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/

/**
 * True when `text` may appear as an `error` or `error_description` (RFC 6749 §5.2, App. A.7-A.8).
 *
 * @example
 * isErrorText('client authentication failed') // true
 * isErrorText('bad "scope"') // false
 */
export function isErrorText(text: string): boolean {
  return ERROR_TEXT.test(text)
}

/**
 * Writes a complete JSON response with the no-store headers; `headers` may add to or override them.
 *
 * @example
 * sendJson(res, 429, '{"error":"invalid_client"}', { 'retry-after': '30' })
 */
export function sendJson(res: ServerResponse, status: number, json: string, headers?: OutgoingHttpHeaders): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
    'cache-control': 'no-store',
    pragma: 'no-cache',
    ...headers,
  })
  res.end(json)
}

/**
 * Writes an OAuth error response. Every 401 carries `WWW-Authenticate: Basic realm="reference-server"`
 * unless `headers` sets another challenge (the protected resource's Bearer one).
 * The description is fixed text of this server, never an echo of the request.
 * `format: 'form'` sends the body as `application/x-www-form-urlencoded` (the `form-response` quirk).
 *
 * @default format 'json'
 * @example
 * sendError(res, 400, 'invalid_scope', 'scope not allowed for this client')
 * sendError(res, 400, 'invalid_scope', 'scope not allowed for this client', undefined, 'form')
 */
export function sendError(
  res: ServerResponse,
  status: number,
  error: ServerErrorCode,
  description: string,
  headers?: OutgoingHttpHeaders,
  format: 'json' | 'form' = 'json',
): void {
  if (!isErrorText(description)) throw new RangeError('error_description has characters RFC 6749 §5.2 forbids')
  const challenge = status === 401 ? { 'www-authenticate': WWW_AUTHENTICATE, ...headers } : headers
  if (format === 'form') {
    const form = new URLSearchParams({ error, error_description: description }).toString()
    sendRaw(res, status, form, 'application/x-www-form-urlencoded', challenge)
    return
  }
  sendJson(res, status, `{"error":"${error}","error_description":"${description}"}`, challenge)
}

/**
 * Writes a raw body with the no-store headers; `headers` may add to or override them.
 * `contentType` undefined sends no `Content-Type`.
 *
 * @example
 * sendRaw(res, 200, '<html></html>', 'text/html')
 */
export function sendRaw(
  res: ServerResponse,
  status: number,
  body: string | Uint8Array,
  contentType: string | undefined,
  headers?: OutgoingHttpHeaders,
): void {
  const head: OutgoingHttpHeaders = {
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    pragma: 'no-cache',
  }
  if (contentType !== undefined) head['content-type'] = contentType
  res.writeHead(status, headers === undefined ? head : { ...head, ...headers })
  res.end(body)
}
