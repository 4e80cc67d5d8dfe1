/**
 * When the server considers a token active (introspection, RFC 7662 §2.2; the protected resource,
 * RFC 6750 §3.1): it issued the token, the token is not revoked, not expired by the server's clock,
 * and, for a JWT, the key that signed it is still published (a resource server that verifies
 * against `jwks_uri` could not verify it any more either).
 */
import type { ServerContext } from '../exchange/server-context.js'
import type { IssuedToken } from './token-store.js'

/**
 * The record of `token` when it is active now, else `undefined`.
 *
 * @example
 * findActiveToken(context, accessToken)?.clientId // 'svc'
 */
export function findActiveToken(
  context: Pick<ServerContext, 'tokens' | 'keys' | 'clock'>,
  token: string,
): IssuedToken | undefined {
  const record = context.tokens.get(token, context.clock.now())
  if (record === undefined) return undefined
  if (record.kid !== undefined && !context.keys.has(record.kid)) return undefined
  return record
}
