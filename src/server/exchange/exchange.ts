/**
 * One request and its answer, as the steps of an endpoint see it: the request, the response, what
 * the steps found out so far (the form, who the caller claims to be, the authenticated client, the
 * quirks and fault in effect) and what was answered. Steps read and write it; at the end the request
 * log's entry is filled from it, so the log is a record of the request, never its state.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AssertionHeader } from '../clients/client-assertion.js'
import type { CredentialsFailure, ExtractedCredentials, ReferenceAuthMethod } from '../clients/client-authentication.js'
import type { RegisteredClient } from '../clients/client-registry.js'
import type { ProofTrace } from '../dpop/dpop-proof.js'
import type { PeerCertificate } from '../tls/peer-certificate.js'
import type { DpopFault, Fault } from '../test-controls/faults.js'
import { NO_QUIRKS, type Quirk } from '../test-controls/quirks.js'
import { appendEntry, isRecording, type PendingEntry } from '../test-controls/request-log.js'
import type { FormParams } from './form-body.js'
import type { ServerErrorCode } from './server-error.js'
import type { ServerContext } from './server-context.js'

/** The state of one request while its endpoint's steps run. */
export interface Exchange {
  readonly server: ServerContext
  readonly req: IncomingMessage
  readonly res: ServerResponse
  /** When the request arrived, by the server's clock (epoch ms). */
  readonly at: number
  /** The path, without the query string. */
  readonly path: string
  /** The query string without `?`; `undefined` when there is none. */
  readonly query: string | undefined
  /** The request body, once `readBody` has read it. */
  body: Buffer | undefined
  /** The request's parameters: its form once `readForm` has parsed it, at the protected resource its query. */
  params: FormParams
  /** Parameters the log leaves out: credentials, the `token` of introspection and revocation, `access_token`. */
  unlogged: ReadonlySet<string>
  /** How the caller tried to authenticate; `bearer` or `dpop` (the scheme) at the protected resource. */
  authMethod: ReferenceAuthMethod | 'bearer' | 'dpop'
  /** The client id claimed (verified or not); at the protected resource, the token's client. */
  clientId: string | undefined
  /** Basic only: whether form-decoding changed the credentials. */
  basicFormEncoded: boolean | undefined
  /** JWT methods: the `alg` and `kid` of the assertion's header, for the log. */
  assertion: AssertionHeader | undefined
  /** The client certificate, where the endpoint looked at it (the mutual-TLS aliases, the resource): for the log. */
  clientCertificate: PeerCertificate | undefined
  /** What the caller presented to authenticate, once `identifyClient` has looked. Never log it. */
  credentials: ExtractedCredentials | CredentialsFailure | undefined
  /** The authenticated client, once `verifyClient` has checked it. */
  client: RegisteredClient | undefined
  /** The quirks in effect: only the token endpoint has any. */
  quirks: readonly Quirk[]
  /** The fault the request took (token endpoint only). */
  fault: Fault | undefined
  /** The DPoP fault the request took besides (token endpoint only, requests with a DPoP proof). */
  dpopFault: DpopFault | undefined
  /** What the server saw of the request's DPoP proof, for the log; `undefined` without one. */
  dpop: ProofTrace | undefined
  /** The thumbprint of the key of a DPoP proof that passed every check: the token is bound to it. */
  dpopJkt: string | undefined
  /** The status answered; 0 until then, and when the connection was dropped. */
  status: number
  /** The `error` code answered. */
  error: ServerErrorCode | undefined
  /** True once the answer is under way or nobody is left to answer: the remaining steps are skipped. */
  done: boolean
  /** The log entry, once written: a request held by a fault is logged before it is answered. */
  logged: PendingEntry | undefined
}

const NOTHING: ReadonlySet<string> = new Set()

/**
 * The exchange of a request that has just arrived.
 *
 * @example
 * const exchange = createExchange(context, req, res)
 * exchange.path // '/token'
 */
export function createExchange(server: ServerContext, req: IncomingMessage, res: ServerResponse): Exchange {
  const url = req.url ?? '/'
  const question = url.indexOf('?')
  return {
    server,
    req,
    res,
    at: server.clock.now(),
    path: question === -1 ? url : url.slice(0, question),
    query: question === -1 ? undefined : url.slice(question + 1),
    body: undefined,
    params: new Map(),
    unlogged: NOTHING,
    authMethod: 'none',
    clientId: undefined,
    basicFormEncoded: undefined,
    assertion: undefined,
    clientCertificate: undefined,
    credentials: undefined,
    client: undefined,
    quirks: NO_QUIRKS,
    fault: undefined,
    dpopFault: undefined,
    dpop: undefined,
    dpopJkt: undefined,
    status: 0,
    error: undefined,
    done: false,
    logged: undefined,
  }
}

/**
 * Writes the exchange to the request log, or, when it is there already (logged while a fault held
 * it), brings the entry's answer up to date. Every request is logged once its endpoint has run;
 * a step that holds a request logs it earlier, so the log shows every request seen.
 *
 * @example
 * logExchange(exchange) // a delay fault starts: log now, status 0 until answered
 */
export function logExchange(exchange: Exchange): void {
  const { log } = exchange.server
  // A log that keeps nothing (logLimit: 0, for benchmarks) costs nothing per request.
  if (!log[isRecording]) return
  const entry = exchange.logged
  if (entry !== undefined) {
    entry.status = exchange.status
    if (exchange.error !== undefined) entry.error = exchange.error
    return
  }
  exchange.logged = logEntry(exchange)
  log[appendEntry](exchange.logged)
}

function logEntry(exchange: Exchange): PendingEntry {
  const entry: PendingEntry = {
    at: exchange.at,
    method: exchange.req.method ?? '',
    path: exchange.path,
    status: exchange.status,
    authMethod: exchange.authMethod,
    params: paramsForLog(exchange.params, exchange.unlogged),
  }
  if (exchange.basicFormEncoded !== undefined) entry.basicFormEncoded = exchange.basicFormEncoded
  if (exchange.clientId !== undefined) entry.clientId = exchange.clientId
  if (exchange.assertion !== undefined) entry.clientAssertion = exchange.assertion
  const certificate = exchange.clientCertificate
  if (certificate !== undefined) entry.clientCertificate = { subject: certificate.subject, thumbprint: certificate.thumbprint }
  if (exchange.dpop !== undefined || exchange.dpopFault !== undefined) {
    entry.dpop = exchange.dpopFault === undefined ? { ...exchange.dpop } : { ...exchange.dpop, fault: exchange.dpopFault.type }
  }
  if (exchange.error !== undefined) entry.error = exchange.error
  const fault = exchange.fault
  if (fault !== undefined) entry.fault = fault.type
  // A status, body or drop fault replaces the answer, so no quirk shaped it.
  const replaced = fault?.type === 'status' || fault?.type === 'body' || fault?.type === 'drop'
  if (exchange.quirks.length > 0 && !replaced) entry.quirks = exchange.quirks
  return entry
}

/** The parameters for the log: every value, except the unlogged parameters. */
function paramsForLog(params: FormParams, unlogged: ReadonlySet<string>): Record<string, string[]> {
  const entries: [string, string[]][] = []
  for (const [name, values] of params) if (!unlogged.has(name)) entries.push([name, values])
  return Object.fromEntries(entries)
}
