/**
 * What the endpoints a client authenticates to (token, introspection, revocation) have in common:
 * a POST with a strict `application/x-www-form-urlencoded` body, and client authentication by
 * `client_secret_basic` or `client_secret_post` (RFC 6749 §2.3.1), throttled per client id.
 * Each step answers the request itself when it fails and then returns `undefined`.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import {
  extractCredentials,
  type CredentialsFailure,
  type ExtractedCredentials,
  type RawBasicDecider,
} from './client-authentication.js'
import type { RegisteredClient } from './client-registry.js'
import { checkFormContentType, parseForm, readBody, type FormParams } from './form-body.js'
import { errorStatus } from './quirks.js'
import { sendError, type ServerErrorCode } from './responses.js'
import type { PendingEntry, ServerContext } from './server-context.js'

/** Answers an error and records it in the log entry. */
export type FailResponder = (
  status: number,
  error: ServerErrorCode,
  description: string,
  headers?: OutgoingHttpHeaders,
) => void

/** How one endpoint reads its form. */
export interface FormRules {
  /** Parameters that may carry several values, such as `resource` (RFC 8707). */
  readonly repeatable: ReadonlySet<string>
  /** Parameters never written to the log: `client_secret`, and `token` where a token is the subject. */
  readonly unlogged: ReadonlySet<string>
}

/** The rules of endpoints whose subject is a token (introspection, revocation): nothing repeats, the token is never logged. */
export const TOKEN_SUBJECT_RULES: FormRules = Object.freeze({
  repeatable: new Set<string>(),
  unlogged: new Set(['client_secret', 'token']),
})

/**
 * A responder that writes an OAuth error and notes status and code in `entry`. The quirks in
 * `entry.quirks` (set by the token endpoint only) shape it: `errors-as-400` changes the status,
 * `form-response` the body's format.
 *
 * @example
 * const fail = failWith(res, entry)
 * return fail(400, 'invalid_request', 'token is required')
 */
export function failWith(res: ServerResponse, entry: PendingEntry): FailResponder {
  return (status, error, description, headers) => {
    const quirks = entry.quirks
    const sent = quirks === undefined ? status : errorStatus(status, quirks)
    entry.status = sent
    entry.error = error
    sendError(res, sent, error, description, headers, quirks?.includes('form-response') === true ? 'form' : 'json')
  }
}

/**
 * Reads the form of a client-authenticated POST, checking in order: method (405 `Allow: POST`) →
 * body size (413) → no credentials in the query (400) → Content-Type (400) → no bad percent escape
 * (400) → no repeated parameter (400). Fills `entry.params` without the unlogged parameters.
 *
 * @example
 * const params = await readAuthenticatedForm(context, req, res, entry, query, rules)
 * if (params === undefined) return // answered already
 */
export async function readAuthenticatedForm(
  context: Pick<ServerContext, 'maxBodyBytes'>,
  req: IncomingMessage,
  res: ServerResponse,
  entry: PendingEntry,
  query: string | undefined,
  rules: FormRules,
): Promise<FormParams | undefined> {
  const fail = failWith(res, entry)
  if (req.method !== 'POST') {
    fail(405, 'invalid_request', 'this endpoint accepts only POST', { allow: 'POST' })
    return undefined
  }
  const body = await readBody(req, context.maxBodyBytes)
  if (body === undefined) {
    fail(413, 'invalid_request', 'request body too large', { connection: 'close' })
    return undefined
  }
  if (query !== undefined && hasQueryCredentials(query)) {
    fail(400, 'invalid_request', 'client credentials must not be sent in the query string')
    return undefined
  }
  switch (checkFormContentType(req.headers['content-type'])) {
    case 'not-form':
      fail(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded')
      return undefined
    case 'bad-charset':
      fail(400, 'invalid_request', 'the form body must be UTF-8')
      return undefined
  }
  let params: FormParams
  let repeated: string | undefined
  try {
    ;({ params, repeated } = parseForm(body.toString('utf8'), rules.repeatable))
  } catch {
    fail(400, 'invalid_request', 'malformed percent escape in the body')
    return undefined
  }
  entry.params = paramsForLog(params, rules.unlogged)
  if (repeated !== undefined) {
    // Only a plain name is echoed: the description must not carry quotes or backslashes.
    const what = /^[a-z_]{1,40}$/.test(repeated) ? `parameter ${repeated}` : 'a parameter'
    fail(400, 'invalid_request', `${what} repeated`)
    return undefined
  }
  return params
}

/**
 * Works out how the request authenticates (see `extractCredentials`) and notes method, claimed
 * client id and Basic form-encoding in `entry`. A failure is returned unanswered, so the token
 * endpoint can apply a fault first; {@link authenticateCaller} answers it. `rawBasic` decides when
 * Basic credentials are taken without form-decoding (the `raw-basic` quirk).
 *
 * @example
 * const credentials = callerCredentials(req, params, entry)
 */
export function callerCredentials(
  req: IncomingMessage,
  params: FormParams,
  entry: PendingEntry,
  rawBasic?: RawBasicDecider,
): ExtractedCredentials | CredentialsFailure {
  const authorization = req.headers.authorization
  const credentials = extractCredentials(
    authorization,
    authorization !== undefined && hasRepeatedAuthorization(req.rawHeaders),
    params,
    rawBasic,
  )
  entry.authMethod = credentials.method
  if (credentials.clientId !== undefined) entry.clientId = credentials.clientId
  if (credentials.basicFormEncoded !== undefined) entry.basicFormEncoded = credentials.basicFormEncoded
  return credentials
}

/**
 * Authenticates the caller: unusable credentials (400/401) → throttled client id (429 with
 * `Retry-After`) → no client id (401) → secret check (401, counted by the throttle). Resolves to
 * the registered client, or `undefined` once the request is answered.
 *
 * @example
 * const client = authenticateCaller(context, res, entry, callerCredentials(req, params, entry))
 * if (client === undefined) return
 */
export function authenticateCaller(
  context: Pick<ServerContext, 'throttle' | 'registry' | 'clock'>,
  res: ServerResponse,
  entry: PendingEntry,
  credentials: ExtractedCredentials | CredentialsFailure,
): RegisteredClient | undefined {
  const fail = failWith(res, entry)
  if (!credentials.ok) {
    fail(credentials.status, credentials.error, credentials.description)
    return undefined
  }
  const { clientId, secret } = credentials
  const throttle = context.throttle
  if (throttle !== undefined && clientId !== undefined) {
    const retryAfter = throttle.retryAfterSeconds(clientId)
    if (retryAfter !== undefined) {
      fail(429, 'invalid_client', 'too many failed attempts', { 'retry-after': String(retryAfter) })
      return undefined
    }
  }
  if (clientId === undefined) {
    fail(401, 'invalid_client', 'client authentication required')
    return undefined
  }
  const client = secret === undefined ? undefined : context.registry.authenticate(clientId, secret, context.clock.now())
  if (client === undefined) {
    throttle?.recordFailure(clientId)
    fail(401, 'invalid_client', 'client authentication failed')
    return undefined
  }
  throttle?.reset(clientId)
  return client
}

/** The body parameters for the log: every value, except the unlogged parameters. */
function paramsForLog(params: FormParams, unlogged: ReadonlySet<string>): Record<string, string[]> {
  const entries: [string, string[]][] = []
  for (const [name, values] of params) if (!unlogged.has(name)) entries.push([name, values])
  return Object.fromEntries(entries)
}

function hasQueryCredentials(query: string): boolean {
  const search = new URLSearchParams(query)
  return search.has('client_id') || search.has('client_secret')
}

/**
 * True when the raw headers hold more than one `Authorization` header.
 *
 * @example
 * hasRepeatedAuthorization(req.rawHeaders) // false
 */
export function hasRepeatedAuthorization(rawHeaders: readonly string[]): boolean {
  let count = 0
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index] as string
    if (name.length === 13 && name.toLowerCase() === 'authorization' && ++count > 1) return true
  }
  return false
}
