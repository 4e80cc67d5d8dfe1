import { createHash } from 'node:crypto'

/**
 * The `ath` of a DPoP proof sent with an access token (RFC 9449 §4.2): base64url of the SHA-256 of
 * the token's ASCII bytes. The client puts it in its proofs, the reference server checks it.
 *
 * @example
 * accessTokenHash('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU') // 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo'
 */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url')
}
