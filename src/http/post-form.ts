import { Dispatcher } from 'undici'
import { abortFailure } from '../abort/abort-failure.js'
import type { LazyAbortSignal } from '../abort/lazy-abort-controller.js'
import { TimedAbort, type TimeLimit } from '../abort/timed-abort.js'
import { InvalidResponseError, TokenClientError, TransportError } from '../errors/token-client-error.js'
import { transportFailure } from '../retry/retry-policy.js'
import { readBody } from './read-body.js'

/** A response read in full, within the size cap; the body of an error status past the cap is empty. */
export interface FormResponse {
  status: number
  headers: Readonly<Record<string, string | string[] | undefined>>
  body: Buffer
}

/** Where forms are POSTed: the token URL as undici's dispatcher API takes it, worked out once. */
export interface FormTarget {
  readonly origin: string
  /** Path and query. */
  readonly path: string
}

/**
 * undici's `request()` API, run on the client's dispatcher as undici's top-level `request(url,
 * { dispatcher })` runs it (any object with a `dispatch()` method will do), without the URL parsing
 * and option copying that the top-level function does on every call.
 */
const requestApi = Dispatcher.prototype.request

/** Limits of one POST. */
export interface PostFormLimits {
  /** The attempt fails with a `TIMEOUT` error after `timeout.timeoutMs`. */
  timeout: TimeLimit
  /**
   * A larger response body is not read further: a 2xx then fails with `INVALID_RESPONSE`, any other
   * status is answered with an empty body, so that its status alone classifies it.
   */
  maxResponseBytes: number
}

/**
 * The {@link FormTarget} of a URL.
 *
 * @example
 * formTarget(new URL('https://id.example/oauth/token?tenant=a')) // { origin: 'https://id.example', path: '/oauth/token?tenant=a' }
 */
export function formTarget(url: URL): FormTarget {
  return { origin: url.origin, path: `${url.pathname}${url.search}` }
}

/**
 * POSTs a form body and reads the whole answer. Redirects are not followed (undici follows none
 * unless told). Every failure but a bug is a {@link TokenClientError}: aborts and timeouts by the
 * signal's reason, a response larger than the dispatcher parses (headers past its `maxHeaderSize`) as
 * `INVALID_RESPONSE`, connection failures as `TRANSPORT_ERROR` (`transient` or not, as
 * {@link transportFailure} says), each with the original as `cause`. A bug (an error without a code,
 * a `TypeError`, undici refusing the arguments) is thrown as it is.
 *
 * `headers` may be shared and frozen: the dispatcher gets a copy of its own, as dispatchers write into
 * the headers they are given (undici's `ProxyAgent` adds `host`).
 */
export async function postForm(
  dispatcher: Dispatcher,
  target: FormTarget,
  headers: Readonly<Record<string, string>>,
  body: string,
  limits: PostFormLimits,
  signal: LazyAbortSignal,
): Promise<FormResponse> {
  const abort = new TimedAbort(signal, limits.timeout)
  try {
    const response = await requestApi.call(dispatcher, {
      origin: target.origin,
      path: target.path,
      method: 'POST',
      // The one allocation this adds to a request: a dispatcher may change what it is handed.
      headers: { ...headers },
      body,
      signal: abort,
    })
    const { statusCode: status, headers: responseHeaders } = response
    const declared = Number(headerValue(responseHeaders['content-length']) ?? Number.NaN)
    let bytes: Buffer | undefined
    let refused: unknown
    try {
      // Larger by its own account, or once read past the cap: not read further.
      bytes = declared > limits.maxResponseBytes ? undefined : await readBody(response.body, limits.maxResponseBytes)
    } catch (error) {
      // A dispatcher with its own `maxResponseSize` stopped the body: too large as well.
      if (!isOversized(error)) throw error
      refused = error
    }
    if (bytes !== undefined) return { status, headers: responseHeaders, body: bytes }
    response.body.destroy()
    // An error status says what happened whatever its body: a 503 page of any size is a 503 to retry,
    // and its Retry-After still counts. Only a body that was meant to be a token is refused for its size.
    if (status < 200 || status >= 300) return { status, headers: responseHeaders, body: DISCARDED }
    const contentType = headerValue(responseHeaders['content-type'])
    throw refused === undefined
      ? tooLarge(status, contentType, `body is larger than ${limits.maxResponseBytes} bytes`)
      : refusedBySize(refused, status, contentType)
  } catch (error) {
    if (abort.aborted) throw abortFailure(abort.reason)
    if (error instanceof TokenClientError) throw error
    // Headers larger than the dispatcher parses: the same answer again on every attempt, so not a
    // network failure to retry. No status was parsed, hence 0.
    if (isOversized(error)) throw refusedBySize(error, 0, undefined)
    const failure = transportFailure(error)
    // A bug (ours, a dispatcher's, or undici refusing a bad header) surfaces as it is: wrapped as a
    // network failure and retried, it would look like an outage.
    if (failure === 'programming') throw error
    const hint = failure === 'certificate' ? `; ${certificateHint(codeOf(error))}` : ''
    throw new TransportError(`token request failed: ${describe(error)}${hint}`, error, failure === 'transient')
  } finally {
    abort.dispose()
  }
}

/** What a certificate the client does not trust means for the caller; the TLS error's own message says which check failed. */
function certificateHint(code: unknown): string {
  return code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH'
    ? "the server's certificate names another host, which retrying cannot change"
    : "the server's certificate is not trusted, which retrying cannot change: trust its CA with NODE_EXTRA_CA_CERTS or the dispatcher's connect: { ca }"
}

/** The first value of a header that may repeat. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** The body of an error status past the cap: discarded, and never read. */
const DISCARDED: Buffer = Buffer.alloc(0)

/**
 * undici's errors for a response larger than the dispatcher takes, by code: headers past its
 * `maxHeaderSize` (Node's `--max-http-header-size`, 16 KiB, by default), a body past its `maxResponseSize`.
 */
const OVERSIZED: ReadonlyMap<unknown, string> = new Map([
  ['UND_ERR_HEADERS_OVERFLOW', "headers are larger than the dispatcher's maxHeaderSize"],
  ['UND_ERR_RES_EXCEEDED_MAX_SIZE', "body is larger than the dispatcher's maxResponseSize"],
])

function isOversized(error: unknown): boolean {
  return OVERSIZED.has(codeOf(error))
}

/** The `INVALID_RESPONSE` for one of the {@link OVERSIZED} errors, which is its `cause`. */
function refusedBySize(error: unknown, status: number, contentType: string | undefined): InvalidResponseError {
  return tooLarge(status, contentType, OVERSIZED.get(codeOf(error)) ?? 'response is larger than the dispatcher takes', error)
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | undefined)?.code
}

function tooLarge(status: number, contentType: string | undefined, reason: string, cause?: unknown): InvalidResponseError {
  return new InvalidResponseError(cause === undefined ? { status, contentType, reason } : { status, contentType, reason, cause })
}

/**
 * A network failure in a few words, each said once: the message, with the code in front only when
 * the message does not already name it (`connect ECONNREFUSED 127.0.0.1:443`, not
 * `ECONNREFUSED connect ECONNREFUSED ...`). An `AggregateError` (every address of a host refused)
 * has an empty message of its own: its first error speaks for it.
 */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const first = error instanceof AggregateError && error.message === '' ? error.errors[0] : undefined
  const message = first instanceof Error ? first.message : error.message
  const code = (error as Error & { code?: unknown }).code
  if (typeof code !== 'string' || message.includes(code)) return message || String(code ?? 'unknown error')
  return message === '' ? code : `${code} ${message}`
}
