import { request, type Dispatcher } from 'undici'
import {
  AbortError,
  InvalidResponseError,
  TimeoutError,
  TokenClientError,
  TransportError,
} from '../errors/token-client-error.js'
import { linkedAbort } from './linked-abort.js'

/** A response read in full, within the size cap. */
export interface FormResponse {
  status: number
  headers: Readonly<Record<string, string | string[] | undefined>>
  body: Buffer
}

/** Limits of one POST. */
export interface PostFormLimits {
  /** The attempt fails with a `TIMEOUT` error after this long. */
  attemptTimeoutMs: number
  /** Which limit that timeout stands for: the attempt's own, or what is left of the deadline. @default 'attempt' */
  timeoutLimit?: 'attempt' | 'deadline'
  /** The limit to name in the error (the whole deadline, when that is the limit). @default attemptTimeoutMs */
  timeoutLimitMs?: number
  /** A larger response body fails with `INVALID_RESPONSE` without being read further. */
  maxResponseBytes: number
}

/**
 * POSTs a form body and reads the whole answer. Redirects are not followed (undici follows none
 * unless told). Every failure is a {@link TokenClientError}: aborts and timeouts by the signal's
 * reason, connection failures as `TRANSPORT_ERROR` with the original as `cause`.
 */
export async function postForm(
  dispatcher: Dispatcher,
  url: URL,
  headers: Record<string, string>,
  body: string,
  limits: PostFormLimits,
  signal: AbortSignal,
): Promise<FormResponse> {
  const attempt = linkedAbort(signal)
  const combined = attempt.signal
  const timer = setTimeout(
    () => attempt.controller.abort(new TimeoutError(limits.timeoutLimit ?? 'attempt', limits.timeoutLimitMs ?? limits.attemptTimeoutMs)),
    limits.attemptTimeoutMs,
  )
  try {
    const response = await request(url, { dispatcher, method: 'POST', headers, body, signal: combined })
    const contentType = headerValue(response.headers['content-type'])
    const declared = Number(headerValue(response.headers['content-length']) ?? Number.NaN)
    if (declared > limits.maxResponseBytes) {
      response.body.destroy()
      throw tooLarge(response.statusCode, contentType, limits.maxResponseBytes)
    }
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > limits.maxResponseBytes) {
        response.body.destroy()
        throw tooLarge(response.statusCode, contentType, limits.maxResponseBytes)
      }
      chunks.push(chunk)
    }
    return { status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks, size) }
  } catch (error) {
    if (combined.aborted) {
      const reason: unknown = combined.reason
      throw reason instanceof TokenClientError ? reason : new AbortError(reason)
    }
    if (error instanceof TokenClientError) throw error
    // undici refusing the request itself (a bad header, say) is a bug to surface, not a network failure to retry.
    if ((error as { code?: unknown } | undefined)?.code === 'UND_ERR_INVALID_ARG') throw error
    throw new TransportError(`token request failed: ${describe(error)}`, error)
  } finally {
    clearTimeout(timer)
    attempt.unlink()
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
