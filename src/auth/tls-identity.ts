import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { createSecureContext, type SecureContext } from 'node:tls'
import { invalidArgument } from '../errors/invalid-argument.js'
import { certificateThumbprint } from '../protocol/certificate-thumbprint.js'

/**
 * The client's TLS identity, for mutual-TLS client authentication (`tls_client_auth`,
 * `self_signed_tls_client_auth`) and certificate-bound tokens (RFC 8705): PEM text or bytes.
 *
 * @example
 * new TokenClient({
 *   tokenUrl, clientId, authMethod: 'tls_client_auth',
 *   tls: { cert: readFileSync('client.crt'), key: readFileSync('client.key'), ca: readFileSync('corp-ca.pem') },
 * })
 */
export interface TlsClientOptions {
  /**
   * The client certificate, PEM; a chain may follow it (the leaf first, then the intermediates).
   * The leaf's SHA-256 thumbprint (`x5t#S256`, RFC 8705 §3.1) is what `client.options` shows and what
   * keeps clients with different certificates apart in the cache.
   * @example readFileSync('/run/secrets/orders-client.crt')
   */
  cert: string | Buffer
  /**
   * The certificate's private key, PEM (PKCS#8, SEC1 or PKCS#1), unencrypted: RSA of 2048 bits or
   * more, or EC. Required, unless the client is given a `dispatcher`: then that dispatcher must
   * present the certificate itself (`new Agent({ connect: { cert, key, ca } })`) and only `tls.cert`
   * is used, as the client's identity. Never logged, inspected, serialised or put in a message: it
   * is kept in a TLS context, not in any options object.
   * @default none
   * @example readFileSync('/run/secrets/orders-client.key')
   */
  key?: string | Buffer
  /**
   * The certificate authorities to trust for the servers, PEM, in place of Node's default list (as
   * `tls.connect({ ca })`): the token endpoint's, and the resource servers' with `createAgent()` and
   * the fetch wrapper.
   * @default Node's default certificate authorities
   * @example readFileSync('/etc/ssl/corp-ca.pem')
   */
  ca?: string | Buffer | Array<string | Buffer>
}

/** The names of {@link TlsClientOptions}, checked against it: a new field left out is a compile error. */
export const TLS_OPTIONS = { cert: true, key: true, ca: true } as const satisfies Record<keyof TlsClientOptions, true>

/**
 * A TLS identity checked once, at construction. What may be shown of it is a plain field; the key is
 * only inside the TLS context and the closures here, never in an inspectable object.
 */
export interface TlsIdentity {
  /** The leaf certificate's SHA-256 thumbprint, base64url of the DER: RFC 8705's `x5t#S256`. Public. */
  readonly thumbprint: string
  /** The TLS context that presents the certificate and trusts `ca`; `undefined` without `tls.key`. */
  secureContext(): SecureContext | undefined
  /** The private key's PKCS#8 DER, for a shared cache's keys; `undefined` without `tls.key`. */
  keyMaterial(): Buffer | undefined
}

const MIN_RSA_BITS = 2048
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g

/**
 * Checks the `tls` option: the certificate (and chain) parses, the key is an unencrypted private key
 * (RSA of 2048 bits or more) that belongs to the leaf, the certificate authorities parse. No message
 * and no `cause` quotes the key: node:crypto's own errors are replaced, not wrapped.
 *
 * @param keyRequired False when the caller gives its own dispatcher, which presents the certificate.
 * @throws {TypeError} `ERR_INVALID_ARG_VALUE`, naming `tls`, `tls.cert`, `tls.key` or `tls.ca`.
 */
export function resolveTlsIdentity(value: TlsClientOptions, keyRequired: boolean): TlsIdentity {
  const leaf = certificates('tls.cert', value.cert)[0] as X509Certificate
  const ca = value.ca === undefined ? undefined : (Array.isArray(value.ca) ? value.ca : [value.ca]).map((item, index) => {
    const name = Array.isArray(value.ca) ? `tls.ca[${index}]` : 'tls.ca'
    certificates(name, item)
    return item
  })
  if (Array.isArray(value.ca) && value.ca.length === 0) throw invalidArgument('tls.ca', 'must not be an empty list (leave it out for the default authorities)')
  const thumbprint = certificateThumbprint(leaf)
  if (value.key === undefined) {
    if (keyRequired) {
      throw invalidArgument('tls.key', "is required, unless a dispatcher that presents the certificate is given (new Agent({ connect: { cert, key, ca } }))")
    }
    return { thumbprint, secureContext: () => undefined, keyMaterial: () => undefined }
  }
  const key = privateKey(value.key)
  let matches = false
  try {
    matches = leaf.checkPrivateKey(key)
  } catch {
    // a key of another type than the certificate's: not its key either
  }
  if (!matches) throw invalidArgument('tls.key', 'is not the private key of tls.cert (the first certificate, the leaf)')
  let context: SecureContext
  try {
    context = createSecureContext({ cert: value.cert, key: key.export({ format: 'pem', type: 'pkcs8' }), ...(ca !== undefined && { ca }) })
  } catch {
    throw invalidArgument('tls', 'could not be made into a TLS context (check tls.cert, tls.key and tls.ca)')
  }
  return { thumbprint, secureContext: () => context, keyMaterial: () => key.export({ format: 'der', type: 'pkcs8' }) }
}

/** Every PEM certificate in `value`, parsed; at least one. */
function certificates(name: string, value: unknown): X509Certificate[] {
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) throw invalidArgument(name, 'must be a PEM certificate (a string or a Buffer)')
  const text = typeof value === 'string' ? value : value.toString('latin1')
  const blocks = text.match(PEM_CERTIFICATE) ?? []
  if (blocks.length === 0) throw invalidArgument(name, 'must be a PEM certificate (-----BEGIN CERTIFICATE-----)')
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block)
    } catch {
      throw invalidArgument(name, `holds a malformed PEM certificate${blocks.length > 1 ? ` (number ${index + 1})` : ''}`)
    }
  })
}

/** `tls.key` imported: an unencrypted private key, RSA of 2048 bits or more. */
function privateKey(value: unknown): KeyObject {
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) throw invalidArgument('tls.key', 'must be a PEM private key (a string or a Buffer)')
  const text = typeof value === 'string' ? value : value.toString('latin1')
  if (/-----BEGIN (RSA |EC )?PUBLIC KEY-----/.test(text)) throw invalidArgument('tls.key', 'is a public key PEM; give the private key of tls.cert')
  if (text.includes('-----BEGIN CERTIFICATE-----') && !/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(text)) {
    throw invalidArgument('tls.key', 'is a certificate; give the private key of tls.cert')
  }
  if (text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----') || /Proc-Type:\s*4,ENCRYPTED/.test(text)) {
    throw invalidArgument('tls.key', 'is an encrypted PEM; decrypt it first (crypto.createPrivateKey({ key, passphrase }).export({ format: "pem", type: "pkcs8" }))')
  }
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(text)) throw invalidArgument('tls.key', 'must be a PEM private key (PKCS#8, SEC1 or PKCS#1)')
  let key: KeyObject
  try {
    key = createPrivateKey({ key: text, format: 'pem' })
  } catch {
    // node:crypto's message is dropped on purpose: no cause, so nothing of the PEM can travel with it.
    throw invalidArgument('tls.key', 'is a malformed PEM private key (PKCS#8, SEC1 or PKCS#1 expected)')
  }
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
    if (bits < MIN_RSA_BITS) throw invalidArgument('tls.key', `is an RSA key of ${bits} bits; at least ${MIN_RSA_BITS} are required`)
  }
  return key
}
