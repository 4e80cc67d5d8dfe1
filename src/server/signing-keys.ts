/**
 * The keys that sign JWT access tokens (RFC 9068): generated in memory when the server starts,
 * published as a JWK Set (RFC 7517) with `kid`, `alg` and `use: 'sig'`, and rotated on demand.
 * The current key signs; the one before it stays published until the next rotation, so tokens
 * issued just before a rotation still verify. Signing uses node:crypto only.
 */
import { generateKeyPair, hash, sign, type KeyObject } from 'node:crypto'
import { inspect, promisify } from 'node:util'

/** A JWS algorithm the server can sign with (RFC 7518 §3, RFC 8037 for EdDSA with Ed25519). */
export type SigningAlgorithm = 'ES256' | 'RS256' | 'EdDSA'

/**
 * The signing algorithms, for validation.
 *
 * @example
 * SIGNING_ALGORITHMS.includes(options.signingAlgorithm)
 */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = Object.freeze(['ES256', 'RS256', 'EdDSA'])

/** A public key as published at `jwks_uri` (RFC 7517 §4). */
export interface PublishedJwk {
  /** `EC` for ES256, `RSA` for RS256, `OKP` for EdDSA. */
  readonly kty: 'EC' | 'RSA' | 'OKP'
  /** The RFC 7638 SHA-256 thumbprint of the key, base64url. */
  readonly kid: string
  /** The signing algorithm the key is used with. */
  readonly alg: SigningAlgorithm
  /** Always `sig`: the key signs access tokens. */
  readonly use: 'sig'
  /** EC and OKP: `P-256` or `Ed25519`. */
  readonly crv?: string
  /** EC and OKP: the x coordinate / public key, base64url. */
  readonly x?: string
  /** EC: the y coordinate, base64url. */
  readonly y?: string
  /** RSA: the modulus, base64url. */
  readonly n?: string
  /** RSA: the public exponent, base64url. */
  readonly e?: string
}

/** A JWK Set (RFC 7517 §5), as served at `GET /jwks`. */
export interface JwkSet {
  /** A fresh array on every read, so callers (jose's createLocalJWKSet, say) may keep or change it. */
  readonly keys: PublishedJwk[]
}

interface SigningKey {
  readonly kid: string
  readonly privateKey: KeyObject
  readonly jwk: PublishedJwk
}

const generate = promisify(generateKeyPair)

/** The public key material of a JWK, without `kid`, `alg` and `use`. */
export type JwkMaterial = Pick<PublishedJwk, 'kty' | 'crv' | 'x' | 'y' | 'n' | 'e'>

// The members of each key type that RFC 7638 §3.2 hashes, in lexicographic order.
const THUMBPRINT_MEMBERS: Record<PublishedJwk['kty'], readonly (keyof JwkMaterial)[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
}

/**
 * The server's signing keys: the current one and, after a rotation, the previous one.
 *
 * @example
 * const keys = await SigningKeys.generate('ES256')
 * const jwt = keys.sign({ typ: 'at+jwt' }, { sub: 'svc' })
 * keys.jwks() // { keys: [{ kty: 'EC', kid: '...', alg: 'ES256', use: 'sig', crv: 'P-256', x: '...', y: '...' }] }
 */
export class SigningKeys {
  readonly algorithm: SigningAlgorithm
  // Newest first; at most two.
  #keys: SigningKey[]

  private constructor(algorithm: SigningAlgorithm, first: SigningKey) {
    this.algorithm = algorithm
    this.#keys = [first]
  }

  /**
   * A key ring with one fresh key for `algorithm`.
   *
   * @example
   * const keys = await SigningKeys.generate('EdDSA')
   */
  static async generate(algorithm: SigningAlgorithm): Promise<SigningKeys> {
    return new SigningKeys(algorithm, await newKey(algorithm))
  }

  /**
   * The `kid` of the key that signs now.
   *
   * @example
   * keys.currentKid // 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
   */
  get currentKid(): string {
    return (this.#keys[0] as SigningKey).kid
  }

  /**
   * Makes a fresh key current and resolves with its `kid`. The previous key stays published; the
   * one before it is dropped.
   *
   * @example
   * const kid = await keys.rotate()
   */
  async rotate(): Promise<string> {
    const key = await newKey(this.algorithm)
    this.#keys = [key, ...this.#keys.slice(0, 1)]
    return key.kid
  }

  /**
   * True while the key with this `kid` is published (current or previous).
   *
   * @example
   * keys.has(keys.currentKid) // true
   */
  has(kid: string): boolean {
    return this.#keys.some((key) => key.kid === kid)
  }

  /**
   * The published keys as a JWK Set, the current key first (a fresh object on every call).
   *
   * @example
   * keys.jwks().keys.length // 1, or 2 after a rotation
   */
  jwks(): JwkSet {
    return { keys: this.#keys.map((key) => ({ ...key.jwk })) }
  }

  /**
   * A compact JWS (RFC 7515 §7.1) of `payload`, signed with the current key. The header gets
   * `alg` and `kid` after the members given. ES256 signatures are the JOSE form r||s (64 bytes).
   *
   * @example
   * keys.sign({ typ: 'at+jwt' }, { iss: 'http://127.0.0.1:41234', sub: 'svc' })
   */
  sign(header: Readonly<Record<string, unknown>>, payload: Readonly<Record<string, unknown>>): string {
    const key = this.#keys[0] as SigningKey
    const input = `${base64url({ alg: this.algorithm, ...header, kid: key.kid })}.${base64url(payload)}`
    const data = Buffer.from(input, 'ascii')
    let signature: Buffer
    switch (this.algorithm) {
      case 'ES256':
        signature = sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
        break
      case 'RS256':
        signature = sign('sha256', data, key.privateKey)
        break
      case 'EdDSA':
        signature = sign(null, data, key.privateKey)
        break
    }
    return `${input}.${signature.toString('base64url')}`
  }

  [inspect.custom](): string {
    return `SigningKeys { algorithm: '${this.algorithm}', kids: ${inspect(this.#keys.map((key) => key.kid))} }`
  }

  toJSON(): JwkSet {
    return this.jwks()
  }
}

/**
 * The RFC 7638 thumbprint of a public JWK: SHA-256 over its required members in lexicographic
 * order, base64url.
 *
 * @example
 * jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' })
 * // 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k'
 */
export function jwkThumbprint(jwk: JwkMaterial): string {
  const members = THUMBPRINT_MEMBERS[jwk.kty].map((name) => `${JSON.stringify(name)}:${JSON.stringify(jwk[name])}`)
  return hash('sha256', `{${members.join(',')}}`, 'base64url')
}

async function newKey(algorithm: SigningAlgorithm): Promise<SigningKey> {
  const { publicKey, privateKey } = await keyPair(algorithm)
  const exported = publicKey.export({ format: 'jwk' })
  const kty = exported.kty as PublishedJwk['kty']
  const material: JwkMaterial =
    kty === 'RSA'
      ? { kty, n: exported.n as string, e: exported.e as string }
      : kty === 'EC'
        ? { kty, crv: exported.crv as string, x: exported.x as string, y: exported.y as string }
        : { kty, crv: exported.crv as string, x: exported.x as string }
  const kid = jwkThumbprint(material)
  const jwk: PublishedJwk = Object.freeze({ ...material, kid, alg: algorithm, use: 'sig' })
  return { kid, privateKey, jwk }
}

function keyPair(algorithm: SigningAlgorithm): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  switch (algorithm) {
    case 'ES256':
      return generate('ec', { namedCurve: 'P-256' })
    case 'RS256':
      return generate('rsa', { modulusLength: 2048 })
    case 'EdDSA':
      return generate('ed25519')
  }
}

function base64url(value: Readonly<Record<string, unknown>>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url')
}
