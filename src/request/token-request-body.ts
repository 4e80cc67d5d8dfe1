import type { NormalizedParams } from './token-params.js'

/**
 * The form body of a client-credentials token request (RFC 6749 §4.4.2), serialised with the
 * WHATWG form serializer: `grant_type`, the space-joined `scope` when there is one, the extra
 * parameters, then any authentication parameters.
 *
 * @example
 * tokenRequestBody(['a', 'b'], [], []) // 'grant_type=client_credentials&scope=a+b'
 */
export function tokenRequestBody(
  scopes: readonly string[],
  params: NormalizedParams,
  authParams: ReadonlyArray<readonly [string, string]>,
): string {
  const body = new URLSearchParams({ grant_type: 'client_credentials' })
  if (scopes.length > 0) body.append('scope', scopes.join(' '))
  for (const [name, values] of params) for (const value of values) body.append(name, value)
  for (const [name, value] of authParams) body.append(name, value)
  return body.toString()
}
