import { Dispatcher } from 'undici'
import {
  AbortError,
  InvalidResponseError,
  TokenClientError,
  TransportError,
} from '../errors/token-client-error.js'
import { AttemptAbort, type AttemptTimeout } from './attempt-abort.js'
import type { LazyAbortSignal } from './lazy-abort-controller.js'
import { readBody } from './read-body.js'

/** A response read in full, within the size cap. */
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
  timeout: AttemptTimeout
  /** A larger response body fails with `INVALID_RESPONSE` without being read further. */
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
 * unless told). Every failure is a {@link TokenClientError}: aborts and timeouts by the signal's
 * reason, connection failures as `TRANSPORT_ERROR` with the original as `cause`.
 */
export async function postForm(
  dispatcher: Dispatcher,
  target: FormTarget,
  headers: Record<string, string>,
  body: string,
  limits: PostFormLimits,
  signal: LazyAbortSignal,
): Promise<FormResponse> {
  const abort = new AttemptAbort(signal, limits.timeout)
  try {
    const response = await requestApi.call(dispatcher, {
      origin: target.origin,
      path: target.path,
      method: 'POST',
      headers,
      body,
      signal: abort,
    })
    const { statusCode: status, headers: responseHeaders } = response
    const declared = Number(headerValue(responseHeaders['content-length']) ?? Number.NaN)
    // Larger by its own account, or once read past the cap: refused without reading further.
    const bytes = declared > limits.maxResponseBytes ? undefined : await readBody(response.body, limits.maxResponseBytes)
    if (bytes === undefined) {
      response.body.destroy()
      throw tooLarge(status, headerValue(responseHeaders['content-type']), limits.maxResponseBytes)
    }
    return { status, headers: responseHeaders, body: bytes }
  } catch (error) {
    if (abort.aborted) {
      const reason = abort.reason
      throw reason instanceof TokenClientError ? reason : new AbortError(reason)
    }
    if (error instanceof TokenClientError) throw error
    // undici refusing the request itself (a bad header, say) is a bug to surface, not a network failure to retry.
    if ((error as { code?: unknown } | undefined)?.code === 'UND_ERR_INVALID_ARG') throw error
    throw new TransportError(`token request failed: ${describe(error)}`, error)
  } finally {
    abort.dispose()
  }
}

/** The first value of a header that may repeat. */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function tooLarge(status: number, contentType: string | undefined, max: number): InvalidResponseError {
  return new InvalidResponseError({ status, contentType, reason: `body is larger than ${max} bytes` })
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code
    return typeof code === 'string' ? `${code} ${error.message}` : error.message
  }
  return String(error)
}
