/**
 * Steps several endpoints share, as oidc-provider's `lib/shared/*`: the method check, reading the
 * body up to `maxBodyBytes`, and reading a strict form (RFC 6749 §3.2, App. B).
 */
import type { Step } from './endpoint.js'
import { checkFormContentType, parseForm } from './form-body.js'
import { readRequestBody } from './request-body.js'
import { ServerError } from './server-error.js'

/**
 * A step that refuses every other method with 405 and `Allow`. `GET` allows `HEAD` too.
 *
 * @example
 * const metadataEndpoint: Endpoint = [requireMethod('GET'), answerMetadata]
 */
export function requireMethod(method: 'GET' | 'POST'): Step {
  const allowed = method === 'GET' ? ['GET', 'HEAD'] : ['POST']
  const refusal = new ServerError(405, 'invalid_request', `this endpoint accepts only ${method}`, {
    allow: allowed.join(', '),
  })
  return (exchange) => {
    if (!allowed.includes(exchange.req.method ?? '')) throw refusal
  }
}

const TOO_LARGE = new ServerError(413, 'invalid_request', 'request body too large', { connection: 'close' })

/**
 * Reads the body into `exchange.body`; one over `maxBodyBytes` is 413, and the connection closes.
 *
 * @example
 * const resourceEndpoint: Endpoint = [readBody, serveResource]
 */
export const readBody: Step = async (exchange) => {
  const body = await readRequestBody(exchange.req, exchange.server.maxBodyBytes)
  if (body === undefined) throw TOO_LARGE
  exchange.body = body
}

/** How one endpoint reads its form. */
export interface FormRules {
  /** Parameters that may carry several values, such as `resource` (RFC 8707). */
  readonly repeatable: ReadonlySet<string>
  /** Parameters never written to the log: the client's credentials, and `token` where a token is the subject. */
  readonly unlogged: ReadonlySet<string>
}

/**
 * A step that parses `exchange.body` as the endpoint's form, checking in order: no client
 * credentials in the query (400) → `Content-Type` (400) → no bad percent escape (400) → no repeated
 * parameter (400). Fills `exchange.params`; the log will show them without the unlogged ones.
 *
 * @example
 * const steps: Endpoint = [requireMethod('POST'), readBody, readForm({ repeatable: new Set(), unlogged: new Set(['client_secret']) })]
 */
export function readForm(rules: FormRules): Step {
  return (exchange) => {
    if (exchange.query !== undefined && hasQueryCredentials(exchange.query)) {
      throw new ServerError(400, 'invalid_request', 'client credentials must not be sent in the query string')
    }
    switch (checkFormContentType(exchange.req.headers['content-type'])) {
      case 'not-form':
        throw new ServerError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded')
      case 'bad-charset':
        throw new ServerError(400, 'invalid_request', 'the form body must be UTF-8')
    }
    let parsed: ReturnType<typeof parseForm>
    try {
      parsed = parseForm((exchange.body ?? Buffer.alloc(0)).toString('utf8'), rules.repeatable)
    } catch {
      throw new ServerError(400, 'invalid_request', 'malformed percent escape in the body')
    }
    const { params, repeated } = parsed
    exchange.params = params
    exchange.unlogged = rules.unlogged
    if (repeated !== undefined) {
      // Only a plain name is echoed: the description must not carry quotes or backslashes.
      const what = /^[a-z_]{1,40}$/.test(repeated) ? `parameter ${repeated}` : 'a parameter'
      throw new ServerError(400, 'invalid_request', `${what} repeated`)
    }
  }
}

function hasQueryCredentials(query: string): boolean {
  const search = new URLSearchParams(query)
  return search.has('client_id') || search.has('client_secret')
}
