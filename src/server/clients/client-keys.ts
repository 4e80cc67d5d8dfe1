/**
 * The keys of JWT client authentication, checked when a client is registered: `jwks`, the public
 * keys that verify its `private_key_jwt` assertions (RFC 7523 §2.2, OpenID Connect Core §9), and
 * `jwtSecret`, the shared key of its `client_secret_jwt` assertions. Also which algorithms each
 * method takes: the allowlists are the defence against algorithm confusion (an HS256 assertion
 * "signed" with a public key's bytes never meets a public key, and `none` is never taken).
 */
import { createPublicKey, createSecretKey, X509Certificate, type KeyObject } from 'node:crypto'
import { createLocalJWKSet, type JWK, type JWTVerifyGetKey } from 'jose'
import { invalidArgument } from '../../errors/invalid-argument.js'
import { certificateThumbprint } from '../../protocol/certificate-thumbprint.js'

/**
 * The algorithms `private_key_jwt` assertions may be signed with (RFC 7518 §3, RFC 8037 and
 * RFC 9864 for EdDSA and Ed25519 with an Ed25519 key). Never `none`, never an HMAC.
 *
 * @example
 * PRIVATE_KEY_JWT_ALGORITHMS.includes('ES256') // true
 */
export const PRIVATE_KEY_JWT_ALGORITHMS = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const)

/**
 * The algorithms `client_secret_jwt` assertions may be signed with: HMAC only (RFC 7518 §3.2).
 *
 * @example
 * CLIENT_SECRET_JWT_ALGORITHMS.includes('HS256') // true
 */
export const CLIENT_SECRET_JWT_ALGORITHMS = Object.freeze(['HS256', 'HS384', 'HS512'] as const)

/** An algorithm of {@link PRIVATE_KEY_JWT_ALGORITHMS}. */
export type PrivateKeyJwtAlgorithm = (typeof PRIVATE_KEY_JWT_ALGORITHMS)[number]

/** An algorithm of {@link CLIENT_SECRET_JWT_ALGORITHMS}. */
export type ClientSecretJwtAlgorithm = (typeof CLIENT_SECRET_JWT_ALGORITHMS)[number]

/**
 * A public key of a client (RFC 7517 §4), as `jose`'s `exportJWK(publicKey)` gives it: `kty` `EC`
 * (`crv` P-256, P-384 or P-521), `RSA` (2048 bits or more) or `OKP` (`crv` Ed25519), with its
 * public members. Private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `k`, `priv`) are refused
 * at registration, and so is a symmetric (`oct`) key: a shared secret is a `jwtSecret`.
 */
export interface ClientJwk {
  /** The key type: `EC`, `RSA` or `OKP`. Required. */
  readonly kty?: string
  /** The key id; an assertion whose header names a `kid` is verified with that key only. Unique in the set. */
  readonly kid?: string
  /** The one algorithm the key may verify; it must fit the key. Without it, every algorithm that fits. */
  readonly alg?: string
  /** `sig` when given. */
  readonly use?: string
  /** When given, must include `verify`. */
  readonly key_ops?: readonly string[]
  /** EC and OKP: the curve. */
  readonly crv?: string
  /** EC and OKP: the x coordinate / the public key, base64url. */
  readonly x?: string
  /** EC: the y coordinate, base64url. */
  readonly y?: string
  /** RSA: the modulus, base64url. */
  readonly n?: string
  /** RSA: the public exponent, base64url. */
  readonly e?: string
  /** Any other member (`x5c`, `x5t#S256`...), kept as it is. */
  readonly [member: string]: unknown
}

/** A client's public keys (RFC 7517 §5): the `jwks` of a `ReferenceClient`. */
export interface ClientJwkSet {
  /** At least one key. */
  readonly keys: readonly ClientJwk[]
}

/** A client's keys, ready to verify with. */
export interface ClientKeySet {
  /** jose's key lookup over the set: by `kid` when the header names one, and by what fits `alg`. */
  readonly getKey: JWTVerifyGetKey
  /** How many keys the set holds. */
  readonly size: number
  /**
   * The SHA-256 thumbprints (base64url of the DER) of the certificates the keys carry as the first
   * `x5c` entry: the certificates `self_signed_tls_client_auth` takes (RFC 8705 §2.2).
   */
  readonly certificateThumbprints: ReadonlySet<string>
}

/**
 * What a private or symmetric JWK has and a public one never does (RFC 7518 §6.2.2, §6.3.2, §6.4;
 * RFC 9964 `priv`): refused in a client's `jwks` and in the `jwk` header of a DPoP proof.
 */
export const PRIVATE_JWK_MEMBERS = Object.freeze(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const)

// Which key each algorithm needs: its kty, and its curve where the kty has several.
const KEY_OF_ALGORITHM: Readonly<Record<PrivateKeyJwtAlgorithm, { readonly kty: string; readonly crv?: string }>> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  PS384: { kty: 'RSA' },
  PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  ES512: { kty: 'EC', crv: 'P-521' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  Ed25519: { kty: 'OKP', crv: 'Ed25519' },
}

const CURVES: Readonly<Record<string, readonly string[]>> = { EC: ['P-256', 'P-384', 'P-521'], OKP: ['Ed25519'] }

// RFC 7518 §3.3 and §3.5: RSA keys of 2048 bits or more (jose refuses smaller ones when verifying).
const MIN_RSA_BITS = 2048

/**
 * Checks a client's `jwks` and builds its key lookup. Throws a `TypeError` (`ERR_INVALID_ARG_VALUE`)
 * naming the member at fault (`<name>.keys[1]`) but never quoting a key: not a JWK Set, an empty
 * set, a private or symmetric key, a key type or curve no allowed algorithm takes, an RSA key under
 * 2048 bits, malformed key material, an `alg` that does not fit the key, a `use` other than `sig`,
 * `key_ops` without `verify`, a repeated `kid`.
 *
 * @param name - the option's name for messages, e.g. `options.clients[0].jwks`.
 * @example
 * const keys = clientKeySet({ keys: [await exportJWK(publicKey)] }, 'options.clients[0].jwks')
 */
export function clientKeySet(jwks: unknown, name: string): ClientKeySet {
  if (!isObject(jwks) || !Array.isArray(jwks['keys'])) throw invalidArgument(name, 'must be a JWK Set, { keys: [...] }')
  const keys: unknown[] = jwks['keys']
  if (keys.length === 0) throw invalidArgument(`${name}.keys`, 'must hold at least one public key')
  const kids = new Set<string>()
  const certificateThumbprints = new Set<string>()
  const checked = keys.map((jwk, index) => {
    const keyName = `${name}.keys[${index}]`
    const key = checkPublicJwk(jwk, keyName)
    const thumbprint = leafCertificateThumbprint(key, keyName)
    if (thumbprint !== undefined) certificateThumbprints.add(thumbprint)
    if (typeof key.kid === 'string') {
      if (kids.has(key.kid)) throw invalidArgument(`${keyName}.kid`, 'is the kid of another key of the set')
      kids.add(key.kid)
    }
    return key
  })
  return { getKey: createLocalJWKSet({ keys: checked }), size: checked.length, certificateThumbprints }
}

/**
 * The thumbprint of a key's first `x5c` certificate (RFC 7517 §4.7: standard base64 DER, the
 * key's own certificate first), checked to hold the key itself; `undefined` without `x5c`.
 */
function leafCertificateThumbprint(jwk: JWK, name: string): string | undefined {
  const chain = jwk.x5c
  if (chain === undefined) return undefined
  if (!Array.isArray(chain) || chain.length === 0 || !chain.every((entry) => typeof entry === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(entry))) {
    throw invalidArgument(`${name}.x5c`, 'must be a non-empty array of base64 DER certificates (RFC 7517 §4.7)')
  }
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(Buffer.from(chain[0] as string, 'base64'))
  } catch {
    throw invalidArgument(`${name}.x5c[0]`, 'is not an X.509 certificate')
  }
  const spki = (key: KeyObject): string => key.export({ type: 'spki', format: 'der' }).toString('base64')
  if (spki(certificate.publicKey) !== spki(createPublicKey({ key: jwk as never, format: 'jwk' }))) {
    throw invalidArgument(`${name}.x5c[0]`, 'does not hold the public key of the JWK')
  }
  return certificateThumbprint(certificate)
}

/** One key of a `jwks`, checked; returned as a plain copy, so a later change to the caller's object has no effect. */
function checkPublicJwk(jwk: unknown, name: string): JWK {
  if (!isObject(jwk)) throw invalidArgument(name, 'must be a JWK object')
  const secret = PRIVATE_JWK_MEMBERS.find((member) => jwk[member] !== undefined)
  if (secret !== undefined) {
    const what =
      secret === 'k' ? 'a symmetric key (k); a shared secret for client_secret_jwt is a jwtSecret' : `a private key (it has ${secret})`
    throw invalidArgument(name, `is ${what}: register the public key only`)
  }
  const { kty, crv, kid, alg, use } = jwk
  const keyOps = jwk['key_ops']
  if (kty !== 'EC' && kty !== 'RSA' && kty !== 'OKP') throw invalidArgument(`${name}.kty`, "must be 'EC', 'RSA' or 'OKP'")
  const curves = CURVES[kty]
  if (curves !== undefined && !curves.includes(crv as string)) {
    throw invalidArgument(`${name}.crv`, `must be ${curves.join(', ')} for kty ${kty}`)
  }
  if (kid !== undefined && (typeof kid !== 'string' || kid === '')) {
    throw invalidArgument(`${name}.kid`, 'must be a non-empty string')
  }
  if (alg !== undefined) {
    const fits = KEY_OF_ALGORITHM[alg as PrivateKeyJwtAlgorithm]
    if (fits === undefined) {
      throw invalidArgument(`${name}.alg`, `must be one of ${PRIVATE_KEY_JWT_ALGORITHMS.join(', ')}`)
    }
    if (fits.kty !== kty || (fits.crv !== undefined && fits.crv !== crv)) {
      throw invalidArgument(`${name}.alg`, 'does not fit the key')
    }
  }
  if (use !== undefined && use !== 'sig') throw invalidArgument(`${name}.use`, "must be 'sig'")
  if (keyOps !== undefined && !(Array.isArray(keyOps) && keyOps.includes('verify'))) {
    throw invalidArgument(`${name}.key_ops`, "must be an array including 'verify'")
  }
  let key: KeyObject
  try {
    key = createPublicKey({ key: jwk as never, format: 'jwk' })
  } catch {
    // Node's message could quote the key; the name is enough.
    throw invalidArgument(name, 'is not a valid public JWK')
  }
  const bits = key.asymmetricKeyDetails?.modulusLength
  if (kty === 'RSA' && (bits === undefined || bits < MIN_RSA_BITS)) {
    throw invalidArgument(name, `is an RSA key under ${MIN_RSA_BITS} bits`)
  }
  return structuredClone(jwk) as JWK
}

// RFC 7518 §3.2: the HMAC key must be at least as long as the hash output.
const MIN_HMAC_KEY_BYTES = { HS256: 32, HS384: 48, HS512: 64 } as const satisfies Record<ClientSecretJwtAlgorithm, number>

/**
 * The `jwtSecret` of a client as the key that verifies its `client_secret_jwt` assertions: its
 * UTF-8 bytes, as client libraries (openid-client's `ClientSecretJwt`, jose's `SignJWT`) use a
 * client secret for HS256. At least 32 bytes (RFC 7518 §3.2: a key as long as the SHA-256 output);
 * throws a `TypeError` naming the option, never quoting it. A `KeyObject` shows none of its bytes
 * in `util.inspect` or `JSON.stringify`.
 *
 * @example
 * const key = jwtSecretKey(generateClientSecret().secret, 'options.clients[0].jwtSecret')
 */
export function jwtSecretKey(secret: string, name: string): KeyObject {
  const bytes = Buffer.from(secret, 'utf8')
  if (bytes.length < MIN_HMAC_KEY_BYTES.HS256) {
    const problem = `must be at least ${MIN_HMAC_KEY_BYTES.HS256} bytes (RFC 7518 §3.2), such as generateClientSecret().secret`
    throw invalidArgument(name, problem)
  }
  return createSecretKey(bytes)
}

/**
 * True when an HMAC key is long enough for `alg` (RFC 7518 §3.2): 32 bytes for HS256, 48 for
 * HS384, 64 for HS512.
 *
 * @example
 * hmacKeyFits(jwtSecretKey(generateClientSecret().secret, 'jwtSecret'), 'HS512') // false: 43 bytes
 */
export function hmacKeyFits(key: KeyObject, alg: ClientSecretJwtAlgorithm): boolean {
  return (key.symmetricKeySize ?? 0) >= MIN_HMAC_KEY_BYTES[alg]
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
