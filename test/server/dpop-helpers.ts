// DPoP proofs (RFC 9449 §4) signed with jose, for the reference-server tests.
import { createHash, randomUUID } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'

export interface ProofKey {
  readonly alg: string
  readonly privateKey: CryptoKey
  /** The public JWK, as it goes in the proof's header. */
  readonly jwk: JWK
  /** Its RFC 7638 SHA-256 thumbprint. */
  readonly jkt: string
}

/** A fresh key pair for proofs. */
export async function proofKey(alg = 'ES256'): Promise<ProofKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = await exportJWK(publicKey)
  return { alg, privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') }
}

export interface ProofClaims {
  htm: string
  htu: string
  /** Seconds; defaults to `now`. */
  iat?: number
  jti?: string
  nonce?: string
  ath?: string
  [claim: string]: unknown
}

export interface ProofOptions {
  /** Header members to set or, as `undefined`, to leave out (`typ`, `jwk`, `alg`). */
  header?: Record<string, unknown>
  /** Leave these claims out. */
  omit?: string[]
}

/**
 * A DPoP proof: `typ: dpop+jwt`, the key's `alg` and public `jwk`, a fresh `jti`, `iat` = `now`
 * (epoch ms, the server's clock) unless given.
 */
export async function signProof(key: ProofKey, claims: ProofClaims, now: number, options: ProofOptions = {}): Promise<string> {
  const payload: Record<string, unknown> = { jti: randomUUID(), iat: Math.floor(now / 1000), ...claims }
  for (const name of options.omit ?? []) delete payload[name]
  const header: Record<string, unknown> = { typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk, ...options.header }
  for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name]
  return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key.privateKey)
}

/** The `ath` of an access token: base64url(SHA-256(token)). */
export function ath(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url')
}

/** A JWS "signed" with alg none: header and payload, and an empty signature. */
export function unsignedProof(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part(header)}.${part(payload)}.`
}
