/**
 * Faults on demand: scripted misbehaviour of the token endpoint, so a client's handling of outages,
 * odd responses and slow servers can be tested against a real socket.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http'
import { invalidArgument } from '../../errors/invalid-argument.js'
import { checkOptionalString, isPositiveInteger } from '../option-checks.js'

/**
 * Answer with this status instead of processing the request.
 *
 * @example
 * { type: 'status', status: 503, headers: { 'retry-after': '2' } }
 * { type: 'status', status: 302, headers: { location: 'https://elsewhere.example/token' } }
 */
export interface StatusFault {
  /** Which fault this is. */
  type: 'status'
  /** The status code, 200-599. */
  status: number
  /**
   * Headers to add; they override the defaults (`content-type`, `cache-control`, `pragma`).
   *
   * @default {}
   */
  headers?: Record<string, string>
  /**
   * The body.
   *
   * @default '{"error":"temporarily_unavailable"}'
   */
  body?: string
  /**
   * The `Content-Type` of the body.
   *
   * @default 'application/json'
   */
  contentType?: string
}

/**
 * Destroy the socket without answering.
 *
 * @example
 * { type: 'drop' }
 */
export interface DropFault {
  /** Which fault this is. */
  type: 'drop'
}

/**
 * Slow down the answer by `ms` milliseconds of real time (the injected clock plays no part); other
 * requests are served meanwhile, and the wait ends early, without the rest of the answer, when the
 * client disconnects or `close()` is called.
 *
 * - `when: 'headers'` (the default) waits before the request is processed, then processes it normally.
 *   The request is logged when the wait starts, with status 0 until it is answered.
 * - `when: 'body'` processes the request normally (a real token is issued), sends the headers (with
 *   the full `Content-Length`) and the first half of the success body, waits, then sends the rest.
 *   The request is logged when the wait starts, with status 200. An error response is sent whole, at once.
 *
 * @example
 * { type: 'delay', ms: 2_000 }
 * { type: 'delay', ms: 2_000, when: 'body' }
 */
export interface DelayFault {
  /** Which fault this is. */
  type: 'delay'
  /** Milliseconds to wait, 0 to 2^31-1. */
  ms: number
  /**
   * Where the wait falls: before anything is sent, or halfway through the success body.
   *
   * @default 'headers'
   */
  when?: 'headers' | 'body'
}

/**
 * Process the request normally (a real token is issued), send the success response's headers with
 * the full `Content-Length` but only the first half of its body, then destroy the socket. The log
 * says status 200. An error response is sent whole.
 *
 * @example
 * { type: 'truncate' }
 */
export interface TruncateFault {
  /** Which fault this is. */
  type: 'truncate'
}

/**
 * Process the request normally (a real token is issued) and merge `fields` into the success JSON;
 * a member set to `undefined` is removed. Error responses are left as they are.
 *
 * @example
 * { type: 'token', fields: { expires_in: '3600' } }
 * { type: 'token', fields: { expires_in: undefined } }
 * { type: 'token', fields: { token_type: 'bearer', refresh_token: 'unexpected' } }
 */
export interface TokenFault {
  /** Which fault this is. */
  type: 'token'
  /** Members merged into the success JSON; a member set to `undefined` is removed. */
  fields: Record<string, unknown>
}

/**
 * Answer this raw body instead of processing the request. The body is copied into a `Buffer` once,
 * when the fault is added, so a body of many megabytes costs no encoding per request.
 *
 * @example
 * { type: 'body', contentType: 'text/html', body: '<h1>Sign in</h1>' }
 * { type: 'body', body: '{"error":"invalid_client"}' } // an error with status 200
 */
export interface BodyFault {
  /** Which fault this is. */
  type: 'body'
  /**
   * The status code, 200-599.
   *
   * @default 200
   */
  status?: number
  /**
   * The `Content-Type` of the body.
   *
   * @default 'application/json'
   */
  contentType?: string
  /** The body, sent as it is (a string as UTF-8). */
  body: string | Uint8Array
}

/**
 * Ask for a DPoP nonce (RFC 9449 §8) even when the server's `dpop.nonce` is `'off'`: the request's
 * proof must carry the token endpoint's current nonce (or the previous one), as with `nonce:
 * 'required'`, else it is answered `400 use_dpop_nonce` with `DPoP-Nonce`; the answer carries
 * `DPoP-Nonce` either way. Taken only by requests with a `DPoP` header, once the client is
 * authenticated (see "DPoP" in docs/reference-server.md).
 *
 * @example
 * server.faults.add({ type: 'use-dpop-nonce' }) // the next DPoP token request must retry with the nonce
 */
export interface UseDpopNonceFault {
  /** Which fault this is. */
  type: 'use-dpop-nonce'
}

/**
 * Refuse the request's DPoP proof, whatever it is: `400 invalid_dpop_proof` "the DPoP proof was
 * refused (a scripted fault)". Taken only by requests with a `DPoP` header, once the client is
 * authenticated.
 *
 * @example
 * server.faults.add({ type: 'invalid-dpop-proof' }, { times: 2 })
 */
export interface InvalidDpopProofFault {
  /** Which fault this is. */
  type: 'invalid-dpop-proof'
}

/** The faults that work on a DPoP proof at the token endpoint, taken apart from the others. */
export type DpopFault = UseDpopNonceFault | InvalidDpopProofFault

/** A scripted misbehaviour; see {@link FaultScript.add}. */
export type Fault = StatusFault | DropFault | DelayFault | TruncateFault | TokenFault | BodyFault | DpopFault

/** Which requests a fault applies to, and how often. */
export interface FaultOptions {
  /**
   * How many matching requests the fault applies to: a positive integer, or `Infinity`.
   *
   * @default 1
   * @example
   * server.faults.add({ type: 'status', status: 503 }, { times: 2 })
   */
  times?: number
  /**
   * Only requests claiming this client id (from Basic or the body, before it is verified).
   *
   * @default undefined (any client)
   * @example
   * server.faults.add({ type: 'drop' }, { clientId: 'svc' })
   */
  clientId?: string
  /**
   * Only requests whose `scope` parameter contains this scope token.
   *
   * @default undefined (any scope, or none)
   * @example
   * server.faults.add({ type: 'delay', ms: 500 }, { scope: 'api:write' })
   */
  scope?: string
}

interface Scheduled {
  readonly fault: Fault
  remaining: number
  readonly clientId: string | undefined
  readonly scope: string | undefined
}

/** Takes the first fault that matches a request, DPoP faults excepted; only the token endpoint calls it. */
export const takeFault = Symbol('takeFault')

/** Takes the first DPoP fault that matches a request with a DPoP proof; only the token endpoint calls it. */
export const takeDpopFault = Symbol('takeDpopFault')

function isDpopFault(fault: Fault): fault is DpopFault {
  return fault.type === 'use-dpop-nonce' || fault.type === 'invalid-dpop-proof'
}

/**
 * The faults waiting to be applied, first in first out. A token request takes the first fault whose
 * options match once its body is read and its client id is known (from Basic or the body, not yet
 * verified), before authentication; each use counts down `times`. DPoP faults (`use-dpop-nonce`,
 * `invalid-dpop-proof`) wait in the same queue but are taken apart: by a request with a `DPoP`
 * header, once its client is authenticated, one of them besides any other fault.
 *
 * @example
 * server.faults.add({ type: 'status', status: 503, headers: { 'retry-after': '1' } })
 * server.faults.add({ type: 'token', fields: { expires_in: '60' } }, { clientId: 'svc' })
 * server.faults.pending // 2
 */
export class FaultScript {
  readonly #queue: Scheduled[] = []

  /**
   * Schedules a fault. Throws a `TypeError` (`ERR_INVALID_ARG_VALUE`) when the fault or the options are invalid.
   *
   * @example
   * server.faults.add({ type: 'drop' }, { times: 3 })
   */
  add(fault: Fault, options: FaultOptions = {}): void {
    const { times = 1, clientId, scope } = options
    if (!(isPositiveInteger(times) || times === Infinity)) {
      throw invalidArgument('options.times', 'must be a positive integer or Infinity')
    }
    checkOptionalString(clientId, 'options.clientId')
    checkOptionalString(scope, 'options.scope')
    this.#queue.push({ fault: copyFault(fault), remaining: times, clientId, scope })
  }

  /**
   * Removes every scheduled fault.
   *
   * @example
   * after(() => server.faults.clear())
   */
  clear(): void {
    this.#queue.length = 0
  }

  /**
   * How many more requests scheduled faults will apply to (the sum of their remaining `times`;
   * `Infinity` when one is unlimited). 0 once every fault is used up.
   *
   * @example
   * assert.equal(server.faults.pending, 0)
   */
  get pending(): number {
    let sum = 0
    for (const scheduled of this.#queue) sum += scheduled.remaining
    return sum
  }

  /** @internal Takes the next fault matching a request, DPoP faults excepted; the token endpoint's own use. */
  [takeFault](clientId: string | undefined, scope: string | undefined): Exclude<Fault, DpopFault> | undefined {
    if (this.#queue.length === 0) return undefined
    return this.#take(clientId, scope, false) as Exclude<Fault, DpopFault> | undefined
  }

  /** @internal Takes the next DPoP fault matching a request with a DPoP proof; the token endpoint's own use. */
  [takeDpopFault](clientId: string | undefined, scope: string | undefined): DpopFault | undefined {
    if (this.#queue.length === 0) return undefined
    return this.#take(clientId, scope, true) as DpopFault | undefined
  }

  #take(clientId: string | undefined, scope: string | undefined, dpop: boolean): Fault | undefined {
    let scopes: string[] | undefined
    for (let index = 0; index < this.#queue.length; index++) {
      const scheduled = this.#queue[index] as Scheduled
      if (isDpopFault(scheduled.fault) !== dpop) continue
      if (scheduled.clientId !== undefined && scheduled.clientId !== clientId) continue
      if (scheduled.scope !== undefined) {
        if (scope === undefined) continue
        scopes ??= scope.split(' ')
        if (!scopes.includes(scheduled.scope)) continue
      }
      scheduled.remaining -= 1
      if (scheduled.remaining <= 0) this.#queue.splice(index, 1)
      return scheduled.fault
    }
    return undefined
  }
}

function checkStatus(status: unknown, name: string): number {
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    throw invalidArgument(name, 'must be an integer from 200 to 599')
  }
  return status
}

function copyFault(fault: Fault): Fault {
  if (typeof fault !== 'object' || fault === null) throw invalidArgument('fault', 'must be an object')
  switch (fault.type) {
    case 'status': {
      checkStatus(fault.status, 'fault.status')
      checkOptionalString(fault.body, 'fault.body')
      checkOptionalString(fault.contentType, 'fault.contentType')
      const copy: StatusFault = { type: 'status', status: fault.status }
      if (fault.headers !== undefined) copy.headers = copyHeaders(fault.headers)
      if (fault.body !== undefined) copy.body = fault.body
      if (fault.contentType !== undefined) copy.contentType = fault.contentType
      return Object.freeze(copy)
    }
    case 'drop':
      return Object.freeze({ type: 'drop' })
    case 'delay': {
      if (typeof fault.ms !== 'number' || !Number.isFinite(fault.ms) || fault.ms < 0 || fault.ms > 2 ** 31 - 1) {
        throw invalidArgument('fault.ms', 'must be a number of milliseconds from 0 to 2^31-1')
      }
      const { when = 'headers' } = fault
      if (when !== 'headers' && when !== 'body') throw invalidArgument('fault.when', "must be 'headers' or 'body'")
      return Object.freeze({ type: 'delay', ms: fault.ms, when })
    }
    case 'truncate':
      return Object.freeze({ type: 'truncate' })
    case 'token':
      if (typeof fault.fields !== 'object' || fault.fields === null || Array.isArray(fault.fields)) {
        throw invalidArgument('fault.fields', 'must be an object')
      }
      return Object.freeze({ type: 'token', fields: Object.freeze({ ...fault.fields }) })
    case 'body': {
      if (typeof fault.body !== 'string' && !(fault.body instanceof Uint8Array)) {
        throw invalidArgument('fault.body', 'must be a string or a Uint8Array')
      }
      checkOptionalString(fault.contentType, 'fault.contentType')
      // One copy now, so the request path only writes bytes (and a later change by the caller has no effect).
      const body = typeof fault.body === 'string' ? Buffer.from(fault.body, 'utf8') : Buffer.from(fault.body)
      const copy: BodyFault = { type: 'body', body }
      if (fault.status !== undefined) copy.status = checkStatus(fault.status, 'fault.status')
      if (fault.contentType !== undefined) copy.contentType = fault.contentType
      return Object.freeze(copy)
    }
    case 'use-dpop-nonce':
      return Object.freeze({ type: 'use-dpop-nonce' })
    case 'invalid-dpop-proof':
      return Object.freeze({ type: 'invalid-dpop-proof' })
    default:
      throw invalidArgument(
        'fault.type',
        "must be 'status', 'drop', 'delay', 'truncate', 'token', 'body', 'use-dpop-nonce' or 'invalid-dpop-proof'",
      )
  }
}

function copyHeaders(headers: Record<string, string>): Record<string, string> {
  if (typeof headers !== 'object' || headers === null) throw invalidArgument('fault.headers', 'must be an object')
  const copy: [string, string][] = []
  for (const [name, value] of Object.entries(headers)) {
    try {
      validateHeaderName(name)
      validateHeaderValue(name, value)
    } catch {
      throw invalidArgument('fault.headers', 'must hold valid HTTP header names and string values')
    }
    if (typeof value !== 'string') throw invalidArgument('fault.headers', 'must hold string values')
    copy.push([name.toLowerCase(), value])
  }
  return Object.freeze(Object.fromEntries(copy))
}
