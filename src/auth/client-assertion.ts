import { randomUUID, type KeyObject } from 'node:crypto'
import { SignJWT, type JWTHeaderParameters } from 'jose'
import type { AsymmetricSigningAlgorithm, HmacSigningAlgorithm } from './signing-key.js'

/** `client_assertion_type` of RFC 7523 §2.2. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/**
 * How long an assertion is valid: `exp = iat + 60`. Short, since an assertion is a bearer credential
 * until it expires, and a new one is made for every attempt anyway; long enough for a client clock a
 * little behind the server's. Servers cap it (the reference server at 300 s, Entra ID at 10 minutes).
 */
export const ASSERTION_LIFETIME_SECONDS = 60

/** What signs the client assertions of one client. */
export interface AssertionSigning {
  /** The private key (`private_key_jwt`) or the secret's bytes (`client_secret_jwt`). */
  readonly key: KeyObject | Uint8Array
  readonly algorithm: AsymmetricSigningAlgorithm | HmacSigningAlgorithm
  readonly keyId: string | undefined
  readonly x5tS256: string | undefined
  /**
   * The `aud` claim. The token endpoint URL today; the hook for discovery (issue 16), which will pass
   * the issuer when it knows it, as draft-ietf-oauth-rfc7523bis recommends.
   */
  readonly audience: string
}

/**
 * A new client assertion (RFC 7523 §3): `iss` = `sub` = the client id, `aud`, `iat` = now, `exp` =
 * now + {@link ASSERTION_LIFETIME_SECONDS}, and a random `jti`, so that no two attempts (retries
 * included) ever send the same one to a server that refuses replays.
 *
 * @param nowMs Wall-clock time in epoch milliseconds.
 */
export function signClientAssertion(clientId: string, signing: AssertionSigning, nowMs: number): Promise<string> {
  const iat = Math.floor(nowMs / 1000)
  const header: JWTHeaderParameters = { alg: signing.algorithm, typ: 'JWT' }
  if (signing.keyId !== undefined) header.kid = signing.keyId
  if (signing.x5tS256 !== undefined) header['x5t#S256'] = signing.x5tS256
  return new SignJWT({})
    .setProtectedHeader(header)
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(signing.audience)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_LIFETIME_SECONDS)
    .sign(signing.key)
}

/**
 * The body parameters that carry an assertion, form-encoded, to append to a prepared body (which
 * already holds `client_id`). Both values are form-safe as they are (a URN's `:` aside, which the
 * form serializer would escape, hence the encoded constant).
 */
export function assertionBodyParams(assertion: string): string {
  return `client_assertion_type=${ENCODED_ASSERTION_TYPE}&client_assertion=${assertion}`
}

const ENCODED_ASSERTION_TYPE = new URLSearchParams({ t: JWT_BEARER_ASSERTION_TYPE }).toString().slice(2)
