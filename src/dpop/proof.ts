import { randomUUID } from 'node:crypto'
import type { JWTPayload } from 'jose'
import type { DpopProofKey } from './proof-key.js'
import { accessTokenHash } from '../protocol/access-token-hash.js'

/** What one DPoP proof is for: the request it goes with, and what binds it further. */
export interface DpopProofRequest {
  /** The request's method, `htm`: `POST` at the token endpoint. */
  readonly method: string
  /** The request's URL; the proof's `htu` is its scheme, authority and path (no query, no fragment). */
  readonly url: URL
  /** The server's latest `DPoP-Nonce` for the URL's origin, when it gave one. */
  readonly nonce?: string | undefined
  /** At a resource: the access token the request carries, whose hash is the proof's `ath`. */
  readonly accessToken?: string | undefined
  /** Wall-clock time, epoch milliseconds: the proof's `iat`. */
  readonly nowMs: number
}

/**
 * The `htu` of a request to `url` (RFC 9449 §4.2): the URL without its query and fragment (and without
 * credentials, which a URL the client sends to never holds anyway).
 *
 * @example
 * dpopHtu(new URL('https://api.example.com/orders?id=1#x')) // 'https://api.example.com/orders'
 */
export function dpopHtu(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`
}


/**
 * A new DPoP proof (RFC 9449 §4): `htm`, `htu`, `iat`, a random `jti` (a UUID, so that no two
 * proofs are alike, retries included), the `nonce` when there is one and the `ath` of the access
 * token at a resource; signed with `key`, whose public JWK is in the header.
 */
export function createDpopProof(key: DpopProofKey, request: DpopProofRequest): Promise<string> {
  const payload: JWTPayload = {
    htm: request.method,
    htu: dpopHtu(request.url),
    iat: Math.floor(request.nowMs / 1000),
    jti: randomUUID(),
  }
  if (request.nonce !== undefined) payload['nonce'] = request.nonce
  if (request.accessToken !== undefined) payload['ath'] = accessTokenHash(request.accessToken)
  return key.sign(payload)
}
