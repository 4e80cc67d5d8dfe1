/**
 * Token introspection (RFC 7662, checklist item 30): POST `/introspect` with `token=...`; the
 * caller authenticates as a registered client exactly as at the token endpoint. An active token is
 * described; anything else is `{"active":false}` and nothing more. `token_type_hint` is ignored
 * (§2.1 allows that): the server looks the token up among every token it issued.
 *
 * Checks run in this order: the form and the caller's authentication as at the token endpoint
 * (405, 413, 400, 401, 429) → `token` present (400 `invalid_request`) → 200.
 */
import { epochSeconds } from '../protocol/epoch-seconds.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { findActiveToken } from './active-token.js'
import {
  authenticateCaller,
  callerCredentials,
  failWith,
  readAuthenticatedForm,
  TOKEN_SUBJECT_RULES,
} from './authenticated-form.js'
import { firstValue } from './form-body.js'
import { sendJson } from './responses.js'
import type { PendingEntry, ServerContext } from './server-context.js'
import { audienceClaim } from './token-format.js'

/** The introspection response for an active token (RFC 7662 §2.2). */
export interface ActiveIntrospection {
  /** Always `true` here: inactive tokens get `{"active":false}` and nothing more. */
  readonly active: true
  /** The granted scopes joined with single spaces; absent when none were granted. */
  readonly scope?: string
  /** The client the token was issued to. */
  readonly client_id: string
  /** Always `Bearer`. */
  readonly token_type: 'Bearer'
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
}

/** The only answer for an unknown, expired or revoked token. */
export const INACTIVE = '{"active":false}'

/**
 * Handles one introspection request and fills in `entry`. The token is never logged.
 *
 * @example
 * await handleIntrospectionRequest(context, req, res, entry, query)
 */
export async function handleIntrospectionRequest(
  context: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: PendingEntry,
  query: string | undefined,
): Promise<void> {
  const params = await readAuthenticatedForm(context, req, res, entry, query, TOKEN_SUBJECT_RULES)
  if (params === undefined) return
  if (authenticateCaller(context, res, entry, callerCredentials(req, params, entry)) === undefined) return
  const token = firstValue(params, 'token')
  if (token === undefined) return failWith(res, entry)(400, 'invalid_request', 'token is required')

  const record = findActiveToken(context, token)
  entry.status = 200
  if (record === undefined) return sendJson(res, 200, INACTIVE)
  const response: { -readonly [K in keyof ActiveIntrospection]: ActiveIntrospection[K] } = {
    active: true,
    client_id: record.clientId,
    token_type: 'Bearer',
    exp: epochSeconds(record.expiresAt),
    iat: epochSeconds(record.issuedAt),
    sub: record.clientId,
    aud: audienceClaim(record.audience),
    iss: context.issuer,
  }
  if (record.scope.length > 0) response.scope = record.scope.join(' ')
  if (record.jti !== undefined) response.jti = record.jti
  sendJson(res, 200, JSON.stringify(response))
}
