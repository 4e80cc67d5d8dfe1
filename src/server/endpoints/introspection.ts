/**
 * Token introspection (RFC 7662, checklist item 30): POST `/introspect` with `token=...`; the
 * caller authenticates as a registered client exactly as at the token endpoint. An active token is
 * described; anything else is `{"active":false}` and nothing more. `token_type_hint` is ignored
 * (§2.1 allows that): the server looks the token up among every token it issued.
 */
import { epochSeconds } from '../../protocol/epoch-seconds.js'
import { authenticateClient } from '../clients/client-authentication.js'
import type { Endpoint } from '../exchange/endpoint.js'
import type { Exchange } from '../exchange/exchange.js'
import { respondJson } from '../exchange/respond.js'
import { readBody, readForm, requireMethod } from '../exchange/steps.js'
import { findActiveToken } from '../tokens/active-token.js'
import { audienceClaim, tokenConfirmation, type TokenConfirmation } from '../tokens/token-format.js'
import { subjectToken, TOKEN_SUBJECT_FORM } from './token-subject.js'

/** The introspection response for an active token (RFC 7662 §2.2). */
export interface ActiveIntrospection {
  /** Always `true` here: inactive tokens get `{"active":false}` and nothing more. */
  readonly active: true
  /** The granted scopes joined with single spaces; absent when none were granted. */
  readonly scope?: string
  /** The client the token was issued to. */
  readonly client_id: string
  /** `DPoP` for a DPoP-bound token (RFC 9449 §6.2), else `Bearer`. */
  readonly token_type: 'Bearer' | 'DPoP'
  /** Whole seconds since the epoch. */
  readonly exp: number
  /** Whole seconds since the epoch. */
  readonly iat: number
  /** The client id (client credentials: the client is the subject). */
  readonly sub: string
  /** One string, or an array of several. */
  readonly aud: string | readonly string[]
  /** The server's issuer. */
  readonly iss: string
  /** JWT access tokens only: their `jti`. */
  readonly jti?: string
  /**
   * Bound tokens only: the thumbprint of their client certificate (`x5t#S256`, RFC 8705 §3.2), of
   * their DPoP key (`jkt`, RFC 9449 §6.2), or both.
   */
  readonly cnf?: TokenConfirmation
}

/** The only answer for an unknown, expired or revoked token. */
export const INACTIVE = '{"active":false}'

/**
 * The introspection endpoint: the form and the caller's authentication as at the token endpoint
 * (405, 413, 400, 401, 429) → `token` present (400 `invalid_request`) → 200. The token is never logged.
 *
 * @example
 * await runEndpoint(introspectionEndpoint, exchange)
 */
export const introspectionEndpoint: Endpoint = [
  requireMethod('POST'),
  readBody,
  readForm(TOKEN_SUBJECT_FORM),
  ...authenticateClient,
  introspect,
]

function introspect(exchange: Exchange): void {
  const { server } = exchange
  const record = findActiveToken(server, subjectToken(exchange))
  if (record === undefined) return respondJson(exchange, 200, INACTIVE)
  const response: { -readonly [K in keyof ActiveIntrospection]: ActiveIntrospection[K] } = {
    active: true,
    client_id: record.clientId,
    token_type: record.dpopJkt === undefined ? 'Bearer' : 'DPoP',
    exp: epochSeconds(record.expiresAt),
    iat: epochSeconds(record.issuedAt),
    sub: record.clientId,
    aud: audienceClaim(record.audience),
    iss: server.issuer,
  }
  if (record.scope.length > 0) response.scope = record.scope.join(' ')
  if (record.jti !== undefined) response.jti = record.jti
  const cnf = tokenConfirmation(record)
  if (cnf !== undefined) response.cnf = cnf
  respondJson(exchange, 200, JSON.stringify(response))
}
