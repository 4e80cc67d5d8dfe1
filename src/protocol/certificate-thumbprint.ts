import { createHash, X509Certificate } from 'node:crypto'

/**
 * The SHA-256 thumbprint of a certificate, base64url of the hash of its DER: the `x5t#S256` of a
 * JWS header (RFC 7515 §4.1.8) and of a certificate-bound token's `cnf` (RFC 8705 §3.1).
 *
 * @example
 * certificateThumbprint(new X509Certificate(pem)) // 43 characters
 */
export function certificateThumbprint(certificate: X509Certificate | Uint8Array): string {
  return createHash('sha256').update(certificate instanceof X509Certificate ? certificate.raw : certificate).digest('base64url')
}
