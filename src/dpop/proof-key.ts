import { createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto'
import { inspect } from 'node:util'
import { SignJWT, type JWTPayload } from 'jose'
import { importSigningKey, jwkThumbprint } from '../auth/signing-key.js'
import { invalidArgument } from '../errors/invalid-argument.js'

/**
 * The JWS algorithms a DPoP proof (RFC 9449) can be signed with: ECDSA on P-256, P-384 or P-521,
 * Ed25519 (`EdDSA`, or its fully specified name `Ed25519`, RFC 9864), and RSA (2048 bits or more)
 * with `RS256` or `PS256`.
 *
 * @example
 * new TokenClient({ ...options, dpop: { signingAlgorithm: 'EdDSA' } }) // an Ed25519 key made in memory
 */
export type DpopSigningAlgorithm = 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'Ed25519' | 'RS256' | 'PS256'

/** Every {@link DpopSigningAlgorithm}, the default first. */
export const DPOP_ALGORITHMS: readonly DpopSigningAlgorithm[] = Object.freeze(['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'PS256', 'RS256'])

/** `typ` of a DPoP proof's header (RFC 9449 §4.2). */
export const DPOP_PROOF_TYPE = 'dpop+jwt'

/**
 * The key pair that signs a client's DPoP proofs: made in memory once, or imported once from the
 * `dpop.privateKey` option. The private key lives in a private field and leaves it only as
 * signatures: `util.inspect()`, `JSON.stringify()` and `String()` show the algorithm and the RFC 7638
 * thumbprint (`jkt`, the value a DPoP-bound token's `cnf.jkt` holds), never the key. The public JWK
 * that every proof carries is exported once.
 */
export class DpopProofKey {
  readonly #privateKey: KeyObject
  /** The proofs' `alg`. */
  readonly algorithm: DpopSigningAlgorithm
  /** The public JWK of the proofs' `jwk` header: public members only (`kty`, `crv`, `x`, `y`, `n`, `e`). */
  readonly publicJwk: Readonly<JsonWebKey>
  /** The RFC 7638 SHA-256 thumbprint of the public key, base64url: the `jkt` of RFC 9449 §6. */
  readonly thumbprint: string
  /** True when the key was made in memory (it cannot be shared with another process). */
  readonly generated: boolean

  private constructor(privateKey: KeyObject, algorithm: DpopSigningAlgorithm, generated: boolean) {
    this.#privateKey = privateKey
    this.algorithm = algorithm
    this.generated = generated
    const exported = createPublicKey(privateKey).export({ format: 'jwk' })
    // Only the public members RFC 7638 names, in a fixed order: nothing else a JWK export may add.
    const jwk: JsonWebKey = {}
    for (const name of ['kty', 'crv', 'x', 'y', 'n', 'e'] as const) if (exported[name] !== undefined) jwk[name] = exported[name]
    this.publicJwk = Object.freeze(jwk)
    this.thumbprint = jwkThumbprint(jwk)
    Object.freeze(this)
  }

  /**
   * A new key pair made in memory for `algorithm`: EC on the curve of the algorithm, Ed25519, or RSA
   * of 2048 bits.
   *
   * @example
   * DpopProofKey.generate('ES256').thumbprint
   */
  static generate(algorithm: DpopSigningAlgorithm = 'ES256'): DpopProofKey {
    return new DpopProofKey(generatedKey(algorithm), algorithm, true)
  }

  /**
   * Imports and checks the `dpop.privateKey` option (a PEM, a private JWK or a private `KeyObject`,
   * as `privateKey` takes them) and `dpop.signingAlgorithm`, which must fit the key.
   *
   * @throws {TypeError} `ERR_INVALID_ARG_VALUE`, naming `dpop.privateKey` or `dpop.signingAlgorithm`.
   */
  static import(input: unknown, signingAlgorithm: DpopSigningAlgorithm | undefined): DpopProofKey {
    let imported: ReturnType<typeof importSigningKey>
    try {
      imported = importSigningKey(input, { signingAlgorithm })
    } catch (error) {
      // The checks are those of privateKey (private_key_jwt), whose messages name privateKey and
      // signingAlgorithm: they are named here as the options they came from.
      const code = (error as { code?: unknown }).code
      if (!(error instanceof TypeError) || code !== 'ERR_INVALID_ARG_VALUE') throw error
      const message = error.message.replace(/\b(privateKey|signingAlgorithm)\b/g, 'dpop.$1')
      const space = message.indexOf(' ')
      throw invalidArgument(message.slice(0, space), message.slice(space + 1))
    }
    const algorithm = imported.algorithm as DpopSigningAlgorithm
    if (!DPOP_ALGORITHMS.includes(algorithm)) {
      const name = signingAlgorithm === undefined ? 'dpop.privateKey' : 'dpop.signingAlgorithm'
      throw invalidArgument(name, `signs with ${algorithm}, which DPoP proofs here do not use: use ${DPOP_ALGORITHMS.map((item) => `'${item}'`).join(', ')} (dpop.signingAlgorithm)`)
    }
    return new DpopProofKey(imported.key, algorithm, false)
  }

  /**
   * A proof signed with this key: the header `typ: dpop+jwt`, `alg` and the public `jwk`, the
   * payload as given (see `createDpopProof`, which makes it).
   */
  sign(payload: JWTPayload): Promise<string> {
    return new SignJWT(payload)
      .setProtectedHeader({ typ: DPOP_PROOF_TYPE, alg: this.algorithm, jwk: this.publicJwk as Record<string, string> })
      .sign(this.#privateKey)
  }

  /** What `JSON.stringify()` shows: the algorithm and the thumbprint, never the key. */
  toJSON(): { algorithm: DpopSigningAlgorithm; keyThumbprint: string } {
    return { algorithm: this.algorithm, keyThumbprint: this.thumbprint }
  }

  /** What `util.inspect()` shows: the algorithm and the thumbprint, never the key. */
  [inspect.custom](): string {
    return `DpopProofKey ${inspect(this.toJSON())}`
  }

  /** A description for logs: the algorithm and the thumbprint. */
  toString(): string {
    return `DpopProofKey(${this.algorithm}, jkt ${this.thumbprint})`
  }
}

/** A new private key for `algorithm`. */
function generatedKey(algorithm: DpopSigningAlgorithm): KeyObject {
  switch (algorithm) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    case 'ES384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey
    case 'ES512':
      return generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey
    case 'EdDSA':
    case 'Ed25519':
      return generateKeyPairSync('ed25519').privateKey
    case 'RS256':
    case 'PS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    default:
      throw invalidArgument('dpop.signingAlgorithm', `must be one of ${DPOP_ALGORITHMS.map((item) => `'${item}'`).join(', ')}`)
  }
}
