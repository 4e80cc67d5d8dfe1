import type { AuthParams } from '../auth/client-authentication.js'
import type { NormalizedParams } from './token-params.js'

/**
 * The form body of a client-credentials token request (RFC 6749 §4.4.2), whole: `grant_type`, the
 * space-joined `scope` when there is one, the extra parameters, then the parameters that authenticate
 * the client in the body (`client_id` and `client_secret` for `client_secret_post`; none for Basic),
 * serialised once with the WHATWG form serializer. The one place a token request's body is built.
 *
 * @example
 * tokenRequestBody(['a', 'b'], [], []) // 'grant_type=client_credentials&scope=a+b'
 * tokenRequestBody([], [], [['client_id', 'svc'], ['client_secret', 's']]) // 'grant_type=client_credentials&client_id=svc&client_secret=s'
 */
export function tokenRequestBody(
  scopes: readonly string[],
  params: NormalizedParams,
  authParams: AuthParams,
): string {
  const body = new URLSearchParams({ grant_type: 'client_credentials' })
  if (scopes.length > 0) body.append('scope', scopes.join(' '))
  for (const [name, values] of params) for (const value of values) body.append(name, value)
  for (const [name, value] of authParams) body.append(name, value)
  return body.toString()
}
