/**
 * Verifying a DPoP proof (RFC 9449 §4.3), wherever it is presented: the token endpoint and the
 * protected resource hand it what they expect (the method, their URL, at the resource the access
 * token and its key) and turn the outcome into their own answer. jose resolves the embedded key
 * (`EmbeddedJWK`), checks the signature against the allowlisted algorithms, and the thumbprint is
 * its `calculateJwkThumbprint` (RFC 7638); written here is what jose leaves to the caller. Every
 * refusal says which rule failed, in fixed text: never the proof, a claim's value or the key.
 */
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  errors,
  jwtVerify,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose'
import { replayCacheFull } from '../clients/client-assertion.js'
import { PRIVATE_JWK_MEMBERS } from '../clients/client-keys.js'
import type { DpopNonces, NonceStanding } from './dpop-nonces.js'
import type { DpopRules } from './dpop-options.js'
import { accessTokenHash } from '../../protocol/access-token-hash.js'

/** The proof's media type (RFC 9449 §4.2), its `typ` header. */
export const DPOP_PROOF_TYPE = 'dpop+jwt'

/** What the endpoint a proof was sent to expects of it. */
export interface ProofExpectations {
  /** The request method, compared with `htm` exactly. */
  readonly method: string
  /** The endpoint's URL as the server advertises it (`<issuer>/token`), compared with `htu`. */
  readonly url: string
  /** The nonces of this endpoint, for the log, and for the check when {@link requireNonce} is set. */
  readonly nonces: DpopNonces
  /** True when the proof must carry the current (or previous) nonce of {@link nonces}. */
  readonly requireNonce: boolean
  /** At the resource: the access token, whose hash the proof's `ath` must be. */
  readonly accessToken?: string
  /** At the resource: the thumbprint the access token is bound to (`cnf.jkt`). */
  readonly boundJkt?: string
}

/** What the log keeps of a proof: never the proof, a claim's value or the key itself. */
export interface ProofTrace {
  /** The header's `alg`, when a string of at most 256 characters. */
  alg?: string
  /** The RFC 7638 SHA-256 thumbprint of the proof's `jwk`, once its signature verified. */
  jkt?: string
  /** How the proof's `nonce` compares with the endpoint's, once every check before the nonce passed. */
  nonce?: NonceStanding
}

/** The outcome of {@link verifyDpopProof}. */
export type ProofVerification =
  /** Every check passed and the `jti` is recorded: the proof's key thumbprint. */
  | { readonly ok: true; readonly jkt: string; readonly trace: ProofTrace }
  /** A refusal: `use_dpop_nonce` for a missing or stale nonce (every other check passed), else `invalid_dpop_proof`. */
  | {
      readonly ok: false
      readonly error: 'invalid_dpop_proof' | 'use_dpop_nonce'
      readonly description: string
      readonly trace: ProofTrace
    }

/**
 * The values of the request's `DPoP` headers, as sent: Node joins repeated headers it does not know,
 * so they are read from `rawHeaders`.
 *
 * @example
 * dpopHeaders(req.rawHeaders) // ['eyJ0eXAiOiJkcG9wK2p3dCIs...']
 */
export function dpopHeaders(rawHeaders: readonly string[]): string[] {
  const values: string[] = []
  for (let index = 0; index < rawHeaders.length; index += 2) {
    if ((rawHeaders[index] as string).toLowerCase() === 'dpop') values.push(rawHeaders[index + 1] as string)
  }
  return values
}


/**
 * Verifies the proofs of a request (the values of its `DPoP` headers) in this order: exactly one
 * → a JWS in compact form → `typ` is `dpop+jwt` → `alg` not `none` → `alg` allowlisted → a `jwk`
 * header → with no private member → a public key for the `alg` → the signature verifies with it
 * (and `exp`/`nbf`, when present, hold) → `jti` a non-empty string → `htm` the method → `htu` the
 * URL (query and fragment ignored, scheme and host regardless of case, the default port implied)
 * → `iat` a number → not in the future (past the skew) → not older than `proofLifetimeSeconds`
 * (plus the skew) → at the resource: `ath` the hash of the token → the key the token is bound to
 * → the nonce, when required → `jti` not used before by this key. Times by `now` (epoch ms).
 * Resolves with the key's thumbprint, its `jti` now recorded, or with the refusal.
 *
 * @example
 * const result = await verifyDpopProof(dpopHeaders(req.rawHeaders), { method: 'POST', url: tokenUrl, nonces, requireNonce: false }, rules, now)
 */
export async function verifyDpopProof(
  proofs: readonly string[],
  expected: ProofExpectations,
  rules: Pick<DpopRules, 'algorithms' | 'proofLifetimeSeconds' | 'clockSkewSeconds' | 'replays'>,
  now: number,
): Promise<ProofVerification> {
  const trace: ProofTrace = {}
  const invalid = (description: string): ProofVerification => ({ ok: false, error: 'invalid_dpop_proof', description, trace })
  if (proofs.length !== 1) return invalid('exactly one DPoP header is allowed')
  const proof = proofs[0] as string
  const header = protectedHeader(proof)
  if (header === undefined) return invalid('the DPoP proof is not a JWT (a JWS in compact serialization)')
  const { alg, typ, jwk } = header
  if (typeof alg === 'string' && alg.length <= MAX_LOGGED_ALG) trace.alg = alg
  if (typ !== DPOP_PROOF_TYPE) return invalid('the DPoP proof typ must be dpop+jwt')
  if (alg === 'none') return invalid('unsigned DPoP proofs (alg none) are never accepted')
  if (typeof alg !== 'string' || !rules.algorithms.includes(alg)) {
    return invalid('the DPoP proof alg is not one the server accepts (dpop_signing_alg_values_supported)')
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return invalid('the DPoP proof has no jwk header (a public JWK)')
  if (PRIVATE_JWK_MEMBERS.some((member) => (jwk as Record<string, unknown>)[member] !== undefined)) {
    return invalid('the DPoP proof jwk must be a public key, it has private members')
  }
  let key: CryptoKey
  try {
    key = await EmbeddedJWK(header)
  } catch {
    // jose's JOSEError, or a TypeError for an RSA key under 2048 bits: the key is the client's input.
    return invalid('the DPoP proof jwk is not a public key for its alg')
  }
  let claims: JWTPayload
  try {
    claims = (
      await jwtVerify(proof, key, {
        algorithms: [...rules.algorithms],
        currentDate: new Date(now),
        clockTolerance: rules.clockSkewSeconds,
      })
    ).payload
  } catch (error) {
    return invalid(joseRefusal(error))
  }
  try {
    trace.jkt = await calculateJwkThumbprint(jwk as JWK, 'sha256')
  } catch {
    return invalid('the DPoP proof jwk is not a public key for its alg')
  }
  const problem = claimProblem(claims, expected, rules, now)
  if (problem !== undefined) return invalid(problem)
  if (expected.boundJkt !== undefined && trace.jkt !== expected.boundJkt) {
    return invalid('the DPoP proof key is not the key the access token is bound to (cnf.jkt)')
  }
  trace.nonce = expected.nonces.standing(claims['nonce'])
  if (expected.requireNonce && trace.nonce === 'none') {
    return { ok: false, error: 'use_dpop_nonce', description: NONCE_REQUIRED, trace }
  }
  if (expected.requireNonce && trace.nonce === 'stale') {
    return { ok: false, error: 'use_dpop_nonce', description: NONCE_STALE, trace }
  }
  // Checked and recorded in one synchronous stretch: two requests with one proof cannot both pass.
  const until = ((claims.iat as number) + rules.proofLifetimeSeconds + rules.clockSkewSeconds) * 1000
  const check = rules.replays.use(trace.jkt, claims.jti as string, until)
  if (check === 'replay') return invalid('the DPoP proof jti was used before (a replay)')
  if (check === 'full') throw replayCacheFull(rules.replays)
  return { ok: true, jkt: trace.jkt, trace }
}

const NONCE_REQUIRED = 'a DPoP nonce is required: sign the proof again with the nonce of the DPoP-Nonce header'
const NONCE_STALE = 'the DPoP nonce is not current: sign the proof again with the nonce of the DPoP-Nonce header'

// An alg longer than this is left out of the log: header values are the client's input.
const MAX_LOGGED_ALG = 256

/**
 * What is wrong with the verified claims of a proof, or `undefined` when nothing is: `jti`, `htm`,
 * `htu`, `iat`, and at the resource `ath`. `now` in epoch ms.
 */
function claimProblem(
  claims: JWTPayload,
  expected: ProofExpectations,
  rules: Pick<DpopRules, 'proofLifetimeSeconds' | 'clockSkewSeconds'>,
  now: number,
): string | undefined {
  const { jti, iat } = claims
  if (typeof jti !== 'string' || jti === '') return 'the DPoP proof jti must be a non-empty string'
  if (claims['htm'] !== expected.method) return 'the DPoP proof htm must be the method of the request'
  if (!sameTarget(claims['htu'], expected.url)) return 'the DPoP proof htu must be the URL of this endpoint, without query and fragment'
  if (typeof iat !== 'number') return 'the DPoP proof has no iat (a number)'
  const seconds = now / 1000
  if (iat > seconds + rules.clockSkewSeconds) return 'the DPoP proof was issued in the future (iat)'
  if (iat < seconds - rules.proofLifetimeSeconds - rules.clockSkewSeconds) {
    return `the DPoP proof is too old (iat more than ${rules.proofLifetimeSeconds} seconds ago)`
  }
  if (expected.accessToken !== undefined) {
    const { ath } = claims
    if (typeof ath !== 'string') return 'the DPoP proof has no ath (the hash of the access token)'
    if (ath !== accessTokenHash(expected.accessToken)) return 'the DPoP proof ath is not the hash of the access token'
  }
  return undefined
}

/**
 * RFC 9449 §4.3 point 9: `htu` names the URL of the request, ignoring query and fragment, after
 * syntax- and scheme-based normalization (RFC 3986 §6.2.2, §6.2.3): the URL parser lower-cases
 * the scheme and host and drops a default port.
 */
function sameTarget(htu: unknown, url: string): boolean {
  if (typeof htu !== 'string' || !URL.canParse(htu)) return false
  const claimed = new URL(htu)
  const target = new URL(url)
  return claimed.protocol === target.protocol && claimed.host === target.host && claimed.pathname === target.pathname
}

/**
 * The description of what jose refused, after the key resolved. jose refuses a key that does not
 * fit the algorithm (an RSA key under 2048 bits) with a `TypeError`; any other error is a bug, and rethrown.
 */
function joseRefusal(error: unknown): string {
  if (error instanceof TypeError) return 'the DPoP proof jwk is not a public key for its alg'
  if (!(error instanceof errors.JOSEError)) throw error
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iat':
        return 'the DPoP proof has no iat (a number)'
      case 'nbf':
        return error.reason === 'invalid' ? 'the DPoP proof nbf must be a number' : 'the DPoP proof is not valid yet (nbf)'
      case 'exp':
        return 'the DPoP proof exp must be a number'
      default:
        return 'the DPoP proof claims are not acceptable'
    }
  }
  switch (error.code) {
    case errors.JWTExpired.code:
      return 'the DPoP proof has expired (exp)'
    case errors.JWSSignatureVerificationFailed.code:
      return 'the DPoP proof signature does not verify with its jwk'
    case errors.JOSEAlgNotAllowed.code:
    case errors.JOSENotSupported.code:
      return 'the DPoP proof alg is not one the server accepts (dpop_signing_alg_values_supported)'
    default:
      return 'the DPoP proof is not a JWT (a JWS in compact serialization)'
  }
}

/** The protected header of a compact JWS, or `undefined` when the proof is not one. */
function protectedHeader(proof: string): Record<string, unknown> | undefined {
  if (proof.split('.').length !== 3) return undefined
  try {
    return decodeProtectedHeader(proof) as Record<string, unknown>
  } catch {
    return undefined
  }
}
