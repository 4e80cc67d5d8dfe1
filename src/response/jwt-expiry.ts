/**
 * The `exp` claim (seconds since the epoch) of a token that is a JWT, read without verifying it:
 * the client only uses it to know how long to cache a token whose response had no `expires_in`.
 * `undefined` when the token is not a JWT or has no numeric `exp`.
 *
 * @example
 * jwtExpiry('eyJhbGciOi...') // 1767225600
 */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.')
  if (parts.length !== 3 || parts[1] === undefined) return undefined
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
    if (typeof payload !== 'object' || payload === null) return undefined
    const exp = (payload as { exp?: unknown }).exp
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined
  } catch {
    return undefined
  }
}
