import { createHash, createPrivateKey, createPublicKey, KeyObject, sign, verify, X509Certificate, type JsonWebKey } from 'node:crypto'
import { invalidArgument } from '../errors/invalid-argument.js'
import { certificateThumbprint } from '../protocol/certificate-thumbprint.js'

/**
 * The JWS algorithms a `private_key_jwt` assertion can be signed with (RFC 7518, RFC 8037, RFC 9864).
 *
 * @example
 * new TokenClient({ ...options, authMethod: 'private_key_jwt', privateKey, signingAlgorithm: 'PS256' })
 */
export type AsymmetricSigningAlgorithm =
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'EdDSA' | 'Ed25519'

/**
 * The JWS algorithms a `client_secret_jwt` assertion can be signed with: HMAC, whose key is the secret
 * (at least as many bytes as the hash: 32 for HS256, 48 for HS384, 64 for HS512, RFC 7518 §3.2).
 */
export type HmacSigningAlgorithm = 'HS256' | 'HS384' | 'HS512'

/** Any algorithm of `signingAlgorithm`. */
export type SigningAlgorithm = AsymmetricSigningAlgorithm | HmacSigningAlgorithm

/**
 * A private key as `privateKey` takes it: a PEM (PKCS#8 `PRIVATE KEY`, SEC1 `EC PRIVATE KEY`, PKCS#1
 * `RSA PRIVATE KEY`), a node:crypto private `KeyObject`, or a private JWK (with `d`).
 */
export type PrivateKeyInput = string | KeyObject | JsonWebKey

/** A private key imported and checked once, at construction, with what may be shown of it. */
export interface SigningKey {
  readonly key: KeyObject
  readonly algorithm: AsymmetricSigningAlgorithm
  /** The `kid` header: the option, else the JWK's own `kid`, else none. */
  readonly keyId: string | undefined
  /** The RFC 7638 SHA-256 thumbprint of the public key, base64url: public, fit for logs and cache keys. */
  readonly thumbprint: string
  /** The `x5t#S256` header (RFC 7515 §4.1.8), when a certificate was given. */
  readonly x5tS256: string | undefined
}

const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const
const PSS_ALGORITHMS = ['PS256', 'PS384', 'PS512'] as const
const PSS_BY_HASH: Record<string, AsymmetricSigningAlgorithm> = { sha256: 'PS256', sha384: 'PS384', sha512: 'PS512' }
const CURVE_ALGORITHMS: Record<string, AsymmetricSigningAlgorithm> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
}
const CURVE_NAMES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }
const MIN_RSA_BITS = 2048

/** The algorithms each kind of key signs with, the default first. */
function algorithmsFor(key: KeyObject): readonly AsymmetricSigningAlgorithm[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return RSA_ALGORITHMS
    case 'rsa-pss': {
      // A key restricted to one hash (its PSS parameters) signs only with the PS algorithm of that hash.
      const hash = key.asymmetricKeyDetails?.hashAlgorithm
      if (hash === undefined) return PSS_ALGORITHMS
      const algorithm = PSS_BY_HASH[hash]
      return algorithm === undefined ? [] : [algorithm]
    }
    case 'ec': {
      const algorithm = CURVE_ALGORITHMS[key.asymmetricKeyDetails?.namedCurve ?? '']
      return algorithm === undefined ? [] : [algorithm]
    }
    case 'ed25519':
      return ['EdDSA', 'Ed25519']
    default:
      return []
  }
}

/**
 * Imports and checks `privateKey` (and `keyId`, `signingAlgorithm`, `certificate`), synchronously, so
 * that a bad key fails the constructor. No message and no `cause` quotes the key: node:crypto's own
 * errors are replaced, not wrapped.
 *
 * @throws {TypeError} `ERR_INVALID_ARG_VALUE`, naming the option.
 */
export function importSigningKey(
  input: unknown,
  options: { keyId?: unknown; signingAlgorithm?: unknown; certificate?: unknown },
): SigningKey {
  const { key, jwkKid, jwkAlg, fromJwk } = privateKeyObject(input)
  const allowed = algorithmsFor(key)
  if (allowed.length === 0) {
    const what = key.asymmetricKeyType === 'ec' ? `an EC key on ${key.asymmetricKeyDetails?.namedCurve ?? 'an unknown curve'}` : `a ${key.asymmetricKeyType ?? 'symmetric'} key`
    throw invalidArgument(
      'privateKey',
      `is ${what}; use RSA (2048 bits or more), EC P-256, P-384 or P-521, or Ed25519`,
    )
  }
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
    if (bits < MIN_RSA_BITS) throw invalidArgument('privateKey', `is an RSA key of ${bits} bits; at least ${MIN_RSA_BITS} are required`)
  }
  if (fromJwk === true) checkKeyPair(key)
  let algorithm = allowed[0] as AsymmetricSigningAlgorithm
  if (jwkAlg !== undefined) {
    if (!allowed.includes(jwkAlg as AsymmetricSigningAlgorithm)) {
      throw invalidArgument('privateKey', `is a JWK whose alg ${quotedAlgorithm(jwkAlg)}does not fit its key (${describeKey(key)}): use ${allowed.map((name) => `'${name}'`).join(' or ')}`)
    }
    if (options.signingAlgorithm !== undefined && options.signingAlgorithm !== jwkAlg) {
      throw invalidArgument('signingAlgorithm', `${quotedAlgorithm(options.signingAlgorithm)}conflicts with the alg '${jwkAlg}' of the privateKey JWK`)
    }
    algorithm = jwkAlg as AsymmetricSigningAlgorithm
  }
  if (options.signingAlgorithm !== undefined) {
    if (!allowed.includes(options.signingAlgorithm as AsymmetricSigningAlgorithm)) {
      throw invalidArgument(
        'signingAlgorithm',
        `${quotedAlgorithm(options.signingAlgorithm)}does not fit privateKey (${describeKey(key)}): use ${allowed.map((name) => `'${name}'`).join(' or ')}`,
      )
    }
    algorithm = options.signingAlgorithm as AsymmetricSigningAlgorithm
  }
  const keyId = options.keyId === undefined ? jwkKid : checkKeyId('keyId', options.keyId)
  const signingKey = plainRsaKey(key)
  return {
    key: signingKey,
    algorithm,
    keyId,
    thumbprint: jwkThumbprint(createPublicKey(signingKey).export({ format: 'jwk' })),
    x5tS256: options.certificate === undefined ? undefined : checkedCertificateThumbprint(options.certificate, signingKey),
  }
}

/** The key's kind, for messages: `RSA 2048`, `EC P-256`, `Ed25519`. Never the key itself. */
export function describeKey(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return `${key.asymmetricKeyType === 'rsa' ? 'RSA' : 'RSA-PSS'} ${key.asymmetricKeyDetails?.modulusLength ?? '?'}`
    case 'ec':
      return `EC ${CURVE_NAMES[key.asymmetricKeyDetails?.namedCurve ?? ''] ?? key.asymmetricKeyDetails?.namedCurve ?? '?'}`
    case 'ed25519':
      return 'Ed25519'
    default:
      return key.asymmetricKeyType ?? 'symmetric'
  }
}

function privateKeyObject(input: unknown): { key: KeyObject; jwkKid: string | undefined; jwkAlg?: string; fromJwk?: boolean } {
  if (input === undefined) throw invalidArgument('privateKey', "is required with authMethod 'private_key_jwt'")
  if (input instanceof KeyObject) {
    if (input.type !== 'private') throw invalidArgument('privateKey', `is a ${input.type} KeyObject; give the private key (keep it; register its public key)`)
    return { key: input, jwkKid: undefined }
  }
  if (typeof input === 'string') {
    if (/-----BEGIN (RSA |EC )?PUBLIC KEY-----/.test(input)) {
      throw invalidArgument('privateKey', 'is a public key PEM; give the private key (keep it; register its public key)')
    }
    if (input.includes('-----BEGIN CERTIFICATE-----')) {
      throw invalidArgument('privateKey', 'is a certificate; give the private key, and the certificate as certificate')
    }
    if (input.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----') || /Proc-Type:\s*4,ENCRYPTED/.test(input)) {
      throw invalidArgument('privateKey', 'is an encrypted PEM; decrypt it first (crypto.createPrivateKey({ key, passphrase }) gives a KeyObject)')
    }
    if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(input)) {
      throw invalidArgument('privateKey', 'must be a PEM private key (PKCS#8, SEC1 or PKCS#1), a private KeyObject or a private JWK')
    }
    try {
      return { key: createPrivateKey({ key: input, format: 'pem' }), jwkKid: undefined }
    } catch {
      // node:crypto's message is dropped on purpose: no cause, so nothing of the PEM can travel with it.
      throw invalidArgument('privateKey', 'is a malformed PEM private key (PKCS#8, SEC1 or PKCS#1 expected)')
    }
  }
  if (typeof input === 'object' && input !== null) {
    const jwk = input as JsonWebKey
    if (typeof jwk.kty !== 'string') throw invalidArgument('privateKey', 'must be a PEM private key, a private KeyObject or a private JWK (a JWK has kty)')
    if (jwk.kty === 'oct') throw invalidArgument('privateKey', "is a symmetric JWK (kty 'oct'); for a shared secret use authMethod 'client_secret_jwt' and clientSecret")
    if (jwk.d === undefined) throw invalidArgument('privateKey', 'is a public JWK (it has no d); give the private key (keep it; register its public key)')
    let key: KeyObject
    try {
      key = createPrivateKey({ key: jwk, format: 'jwk' })
    } catch {
      throw invalidArgument('privateKey', `is a malformed private JWK (kty ${JSON.stringify(String(jwk.kty)).slice(0, 16)})`)
    }
    const { kid, alg, use, key_ops: keyOps } = jwk as { kid?: unknown; alg?: unknown; use?: unknown; key_ops?: unknown }
    if (use !== undefined && use !== 'sig') throw invalidArgument('privateKey', "is a JWK whose use is not 'sig'; it is not a signing key")
    if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.includes('sign'))) {
      throw invalidArgument('privateKey', "is a JWK whose key_ops do not include 'sign'; it is not a signing key")
    }
    if (alg !== undefined && typeof alg !== 'string') throw invalidArgument('privateKey', 'is a JWK whose alg is not a string')
    return {
      key,
      fromJwk: true,
      jwkKid: typeof kid === 'string' && kid !== '' ? checkKeyId('privateKey', kid, "the JWK's kid") : undefined,
      ...(alg !== undefined && { jwkAlg: alg }),
    }
  }
  throw invalidArgument('privateKey', 'must be a PEM private key (PKCS#8, SEC1 or PKCS#1), a private KeyObject or a private JWK')
}

/** The longest `kid` taken: every assertion carries it, every hint prints it. */
export const MAX_KEY_ID_LENGTH = 1_024

/**
 * A `kid` checked: a non-empty string of printable ASCII (%x20-7E), at most {@link MAX_KEY_ID_LENGTH}
 * characters, so that it can neither start a log line nor rewrite a terminal where a hint prints it.
 *
 * @param name The option to name: `keyId`, or `privateKey` for a JWK's own `kid`.
 */
export function checkKeyId(name: string, value: unknown, what = name): string {
  if (typeof value !== 'string' || value === '') throw invalidArgument(name, `${what === name ? '' : `(${what}) `}must be a non-empty string`)
  if (value.length > MAX_KEY_ID_LENGTH) throw invalidArgument(name, `${what === name ? '' : `(${what}) `}is ${value.length} characters; at most ${MAX_KEY_ID_LENGTH} are taken`)
  if (!/^[\x20-\x7E]+$/.test(value)) throw invalidArgument(name, `${what === name ? '' : `(${what}) `}must be printable ASCII (no control or non-ASCII characters)`)
  return value
}

/** `signingAlgorithm` quoted for a message, followed by a space, only if it looks like an algorithm name. */
function quotedAlgorithm(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z0-9]{1,16}$/.test(value) ? `'${value}' ` : ''
}

/**
 * Refuses a private JWK whose public members are not those of its private ones (`x`, `y` of another
 * key next to `d`, say), which node:crypto imports as they are: a fixed message signed with the key
 * must verify with its public half.
 */
function checkKeyPair(key: KeyObject): void {
  const message = Buffer.from('oauth2-client-credentials key pair check')
  const hash = key.asymmetricKeyType === 'ed25519' ? null : 'sha256'
  let matches = false
  try {
    matches = verify(hash, message, createPublicKey(key), sign(hash, message, key))
  } catch {
    // a key that cannot sign is no pair either
  }
  if (!matches) throw invalidArgument('privateKey', 'is a JWK whose public members do not belong to its private key (d)')
}

/**
 * An RSA-PSS key as a plain RSA `KeyObject`: jose signs through WebCrypto, which takes a key as a JWK,
 * and node:crypto exports no JWK of an RSA-PSS key (`ERR_CRYPTO_JWK_UNSUPPORTED_KEY_TYPE`). The
 * private key is the same RSAPrivateKey (RFC 8017 Appendix A.1.2) under another algorithm identifier
 * (RFC 4055 §1.2), so it is taken out of the PKCS#8 DER and imported as PKCS#1. The algorithms were
 * chosen from the RSA-PSS key (its hash, when it is restricted to one) before this.
 */
function plainRsaKey(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== 'rsa-pss') return key
  const pkcs8 = key.export({ format: 'der', type: 'pkcs8' })
  // PrivateKeyInfo ::= SEQUENCE { version INTEGER, privateKeyAlgorithm AlgorithmIdentifier, privateKey OCTET STRING }
  const info = derElement(pkcs8, 0)
  const version = derElement(pkcs8, info.start)
  const algorithm = derElement(pkcs8, version.end)
  const privateKey = derElement(pkcs8, algorithm.end)
  try {
    return createPrivateKey({ key: pkcs8.subarray(privateKey.start, privateKey.end), format: 'der', type: 'pkcs1' })
  } catch {
    throw invalidArgument('privateKey', 'is an RSA-PSS key whose PKCS#8 form could not be read')
  }
}

/** One DER element at `offset`: where its contents start and end. */
function derElement(der: Buffer, offset: number): { start: number; end: number } {
  const first = der[offset + 1] ?? 0
  let length = first
  let start = offset + 2
  if (first & 0x80) {
    length = 0
    for (let index = 0; index < (first & 0x7f); index += 1) length = length * 256 + (der[start + index] ?? 0)
    start += first & 0x7f
  }
  return { start, end: start + length }
}

/**
 * The RFC 7638 thumbprint (SHA-256, base64url) of a public JWK: its required members in lexicographic
 * order, serialised without spaces. Written here rather than taken from jose's `calculateJwkThumbprint`
 * because that one is async and the constructor, which keys the cache with it, is not; a test checks
 * the two agree for every key type.
 */
export function jwkThumbprint(jwk: JsonWebKey): string {
  const members: Record<string, readonly string[]> = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] }
  const names = members[jwk.kty ?? '']
  if (names === undefined) throw new TypeError(`no thumbprint for kty ${jwk.kty}`)
  const record = jwk as Record<string, unknown>
  const canonical = `{${names.map((name) => `${JSON.stringify(name)}:${JSON.stringify(record[name])}`).join(',')}}`
  return createHash('sha256').update(canonical).digest('base64url')
}

function checkedCertificateThumbprint(value: unknown, key: KeyObject): string {
  if (typeof value !== 'string' || !value.includes('-----BEGIN CERTIFICATE-----')) {
    throw invalidArgument('certificate', 'must be a PEM certificate (-----BEGIN CERTIFICATE-----)')
  }
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(value)
  } catch {
    throw invalidArgument('certificate', 'is a malformed PEM certificate')
  }
  let matches = false
  try {
    matches = certificate.checkPrivateKey(key)
  } catch {
    // a key of another type than the certificate's: not its key either
  }
  if (!matches) {
    throw invalidArgument('certificate', 'does not hold the public key of privateKey (a certificate of another key?)')
  }
  return certificateThumbprint(certificate)
}
