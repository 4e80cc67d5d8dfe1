import { isTlsAuthMethod } from '../auth/client-authentication.js'
import type { TlsIdentity } from '../auth/tls-identity.js'
import { invalidArgument } from '../errors/invalid-argument.js'
import type { ResolvedOptions } from './resolve-options.js'

/**
 * The bytes the shared cache derives its sealing key and entry names from: secret bytes, so that
 * whoever can read the store but does not hold the credential can neither open nor find an entry.
 * The secret for the secret methods and `client_secret_jwt`; the private key's PKCS#8 DER for
 * `private_key_jwt` (never its public half, which is no secret); for the mutual-TLS methods, the
 * TLS private key's PKCS#8 DER, else (no `tls.key`: a dispatcher of the caller's presents the
 * certificate) the first explicit encryption key, which the options check made sure of.
 */
export function fleetCredential(
  credentials: ResolvedOptions['credentials'],
  tls: TlsIdentity | undefined,
  encryptionKeys: readonly Uint8Array[] | undefined,
): Uint8Array {
  if (isTlsAuthMethod(credentials.authMethod)) {
    const material = tls?.keyMaterial() ?? encryptionKeys?.[0]
    if (material === undefined) throw invalidArgument('sharedCache', `needs tls.key with authMethod '${credentials.authMethod}'`)
    return material
  }
  const key = credentials.assertion?.key
  if (credentials.authMethod === 'private_key_jwt' && key !== undefined && !(key instanceof Uint8Array)) {
    return key.export({ format: 'der', type: 'pkcs8' })
  }
  return Buffer.from(credentials.clientSecret ?? '', 'utf8')
}
