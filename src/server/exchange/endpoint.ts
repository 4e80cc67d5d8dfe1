/**
 * What an endpoint is: a list of named steps, run in order over one {@link Exchange}, as
 * oidc-provider's actions are (`lib/actions/token.js`: `noCache, parseBody, ...clientAuth, ...`).
 * A step either does its part and returns, answers (the last step, or a fault), or throws a
 * `ServerError`; the runner hands that error to the one writer, `answerError`, and logs the exchange.
 */
import { logExchange, type Exchange } from './exchange.js'
import { answerError, answerUnexpected } from './respond.js'
import { ServerError } from './server-error.js'

/**
 * One step of an endpoint. It reads and fills the exchange, answers through `respond.ts`, or throws
 * a `ServerError`; once the exchange is `done` the remaining steps are skipped.
 *
 * @example
 * const requireToken: Step = (exchange) => {
 *   if (!exchange.params.has('token')) throw new ServerError(400, 'invalid_request', 'token is required')
 * }
 */
export type Step = (exchange: Exchange) => void | Promise<void>

/**
 * An endpoint: its steps, in the order the checks run.
 *
 * @example
 * const revocationEndpoint: Endpoint = [requireMethod('POST'), readBody, readForm(rules), ...authenticateClient, revoke]
 */
export type Endpoint = readonly Step[]

/**
 * Runs an endpoint's steps over an exchange, answers a thrown `ServerError` (or a bug, with 500),
 * then logs the exchange. Never rejects.
 *
 * @example
 * await runEndpoint(tokenEndpoint, createExchange(context, req, res))
 */
export async function runEndpoint(endpoint: Endpoint, exchange: Exchange): Promise<void> {
  try {
    for (const step of endpoint) {
      // Most steps are synchronous: only wait for the ones that return a promise.
      const pending = step(exchange)
      if (pending !== undefined) await pending
      if (exchange.done) break
    }
  } catch (error) {
    if (error instanceof ServerError) answerError(exchange, error)
    // The client went away mid-body (nobody to answer), or a bug (answer if we still can).
    else answerUnexpected(exchange)
  }
  logExchange(exchange)
}
