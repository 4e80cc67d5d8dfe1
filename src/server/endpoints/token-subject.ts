/**
 * What introspection (RFC 7662) and revocation (RFC 7009) share: a client-authenticated form whose
 * subject is a `token`, which is never logged; nothing in it may repeat.
 */
import { CREDENTIAL_PARAMS } from '../clients/client-authentication.js'
import type { Exchange } from '../exchange/exchange.js'
import { firstValue } from '../exchange/form-body.js'
import { ServerError } from '../exchange/server-error.js'
import type { FormRules } from '../exchange/steps.js'

/** The form of introspection and revocation: nothing repeats; neither the credentials nor the token are logged. */
export const TOKEN_SUBJECT_FORM: FormRules = Object.freeze({
  repeatable: new Set<string>(),
  unlogged: new Set([...CREDENTIAL_PARAMS, 'token']),
})

const TOKEN_REQUIRED = new ServerError(400, 'invalid_request', 'token is required')

/**
 * The `token` the request is about; 400 `invalid_request` without one.
 *
 * @example
 * const record = findActiveToken(exchange.server, subjectToken(exchange))
 */
export function subjectToken(exchange: Exchange): string {
  const token = firstValue(exchange.params, 'token')
  if (token === undefined) throw TOKEN_REQUIRED
  return token
}
