/**
 * The writer: every answer of the server goes out through these functions, which note in the
 * exchange what was answered. Every response, errors included, carries `Cache-Control: no-store`
 * and `Pragma: no-cache` (RFC 6749 §5.1); errors are OAuth error bodies (§5.2), written only by
 * {@link answerError} from the `ServerError` a step threw.
 */
import type { OutgoingHttpHeaders } from 'node:http'
import { errorStatus } from '../test-controls/quirks.js'
import type { Exchange } from './exchange.js'
import type { ServerError } from './server-error.js'

/** The realm of the `WWW-Authenticate` challenges: Basic on every 401, Bearer at the resource. */
export const REALM = 'reference-server'

/**
 * The headers every answer carries: `Cache-Control: no-store` and `Pragma: no-cache` (RFC 6749 §5.1,
 * and at every other endpoint too: nothing this server says may be cached), the length, and the
 * content type when there is one.
 *
 * @example
 * res.writeHead(200, answerHeaders(Buffer.byteLength(body), 'application/json'))
 */
export function answerHeaders(contentLength: number, contentType: string | undefined): OutgoingHttpHeaders {
  // Written out, not spread from a constant: on Node 20 `{ ...object, more }` costs about 0.6 µs.
  const head: OutgoingHttpHeaders = { 'cache-control': 'no-store', pragma: 'no-cache', 'content-length': contentLength }
  if (contentType !== undefined) head['content-type'] = contentType
  return head
}

const BASIC_CHALLENGE = `Basic realm="${REALM}"`

/**
 * Answers a complete body with the no-store headers; `headers` may add to or override them.
 * `contentType` undefined sends no `Content-Type`.
 *
 * @example
 * respond(exchange, 200, '{"active":false}', 'application/json')
 * respond(exchange, 200, '', undefined) // revocation
 */
export function respond(
  exchange: Exchange,
  status: number,
  body: string | Uint8Array,
  contentType: string | undefined,
  headers?: Readonly<OutgoingHttpHeaders>,
): void {
  const head = answerHeaders(Buffer.byteLength(body), contentType)
  exchange.status = status
  exchange.done = true
  exchange.res.writeHead(status, headers === undefined ? head : { ...head, ...headers })
  exchange.res.end(body)
}

/**
 * Answers a JSON body.
 *
 * @example
 * respondJson(exchange, 200, JSON.stringify(metadata))
 */
export function respondJson(exchange: Exchange, status: number, json: string): void {
  respond(exchange, status, json, 'application/json')
}

/**
 * Answers the error a step threw: `{"error","error_description"}` with the error's headers. Every
 * 401 carries `WWW-Authenticate: Basic realm="reference-server"` unless the error brings its own
 * challenge (the resource's Bearer one); a Bearer challenge without an error code has an empty body.
 * The token endpoint's quirks shape the answer: `errors-as-400` its status, `form-response` its body.
 *
 * @example
 * answerError(exchange, new ServerError(400, 'invalid_scope', 'scope not allowed for this client'))
 */
export function answerError(exchange: Exchange, error: ServerError): void {
  const status = errorStatus(error.status, exchange.quirks)
  const headers = status === 401 ? { 'www-authenticate': BASIC_CHALLENGE, ...error.headers } : error.headers
  if (error.error === undefined) return respond(exchange, status, '', undefined, headers)
  exchange.error = error.error
  if (exchange.quirks.includes('form-response')) {
    const form = new URLSearchParams({ error: error.error, error_description: error.description }).toString()
    return respond(exchange, status, form, 'application/x-www-form-urlencoded', headers)
  }
  const json = `{"error":"${error.error}","error_description":"${error.description}"}`
  respond(exchange, status, json, 'application/json', headers)
}

/**
 * Answers a request that failed for a reason no step foresaw (a bug): a plain `500 server_error`,
 * as long as there is still someone to answer. A client that went away mid-body gets nothing.
 *
 * @example
 * answerUnexpected(exchange)
 */
export function answerUnexpected(exchange: Exchange): void {
  const { req, res } = exchange
  if (res.headersSent || res.destroyed || req.socket.destroyed) return
  exchange.error = 'server_error'
  respond(exchange, 500, '{"error":"server_error","error_description":"the request could not be processed"}', 'application/json')
}

/**
 * Destroys the connection without an answer (the `drop` fault); the log says status 0.
 *
 * @example
 * dropConnection(exchange)
 */
export function dropConnection(exchange: Exchange): void {
  exchange.status = 0
  exchange.done = true
  exchange.req.socket.destroy()
}
