/**
 * What the server publishes about itself: authorization server metadata (RFC 8414, checklist item 29)
 * at `/.well-known/oauth-authorization-server` and, identical, at `/.well-known/openid-configuration`
 * (where openid-client looks by default), and the JWK Set of its signing keys at `/jwks`.
 * GET and HEAD only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { INTROSPECTION_PATH, JWKS_PATH, REVOCATION_PATH, TOKEN_PATH } from './paths.js'
import { sendError, sendJson } from './responses.js'
import type { PendingEntry, ServerContext } from './server-context.js'

/** The client authentication methods of the token, introspection and revocation endpoints. */
export const AUTH_METHODS_SUPPORTED: readonly ['client_secret_basic', 'client_secret_post'] = Object.freeze([
  'client_secret_basic',
  'client_secret_post',
] as const)

/** The metadata document (RFC 8414 §2), as served. */
export interface AuthorizationServerMetadata {
  /** Identical to `server.issuer`: `http://127.0.0.1:<port>` or `http://[::1]:<port>`, no trailing slash. */
  readonly issuer: string
  /** `<issuer>/token`. */
  readonly token_endpoint: string
  /** `<issuer>/jwks`: the JWK Set that verifies JWT access tokens. */
  readonly jwks_uri: string
  /** `<issuer>/introspect` (RFC 7662). */
  readonly introspection_endpoint: string
  /** `<issuer>/revoke` (RFC 7009). */
  readonly revocation_endpoint: string
  /** Only `client_credentials`. */
  readonly grant_types_supported: readonly ['client_credentials']
  /** Empty: there is no authorization endpoint, so no response type (the member is REQUIRED by RFC 8414 §2). */
  readonly response_types_supported: readonly []
  /** Every scope some registered client may ask for. */
  readonly scopes_supported: readonly string[]
  /** `client_secret_basic` and `client_secret_post`. */
  readonly token_endpoint_auth_methods_supported: typeof AUTH_METHODS_SUPPORTED
  /** The same methods as the token endpoint. */
  readonly introspection_endpoint_auth_methods_supported: typeof AUTH_METHODS_SUPPORTED
  /** The same methods as the token endpoint. */
  readonly revocation_endpoint_auth_methods_supported: typeof AUTH_METHODS_SUPPORTED
}

/**
 * The metadata of a server with this issuer and these scopes.
 *
 * @example
 * authorizationServerMetadata('http://127.0.0.1:41234', ['api:read']).token_endpoint
 * // 'http://127.0.0.1:41234/token'
 */
export function authorizationServerMetadata(issuer: string, scopes: readonly string[]): AuthorizationServerMetadata {
  return {
    issuer,
    token_endpoint: issuer + TOKEN_PATH,
    jwks_uri: issuer + JWKS_PATH,
    introspection_endpoint: issuer + INTROSPECTION_PATH,
    revocation_endpoint: issuer + REVOCATION_PATH,
    grant_types_supported: ['client_credentials'],
    response_types_supported: [],
    scopes_supported: scopes,
    token_endpoint_auth_methods_supported: AUTH_METHODS_SUPPORTED,
    introspection_endpoint_auth_methods_supported: AUTH_METHODS_SUPPORTED,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS_SUPPORTED,
  }
}

/**
 * Serves the metadata document (both well-known paths).
 *
 * @example
 * await handleMetadataRequest(context, req, res, entry)
 */
export async function handleMetadataRequest(
  context: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: PendingEntry,
): Promise<void> {
  if (refuseMethod(req, res, entry)) return
  const metadata = authorizationServerMetadata(context.issuer, context.registry.scopes())
  entry.status = 200
  sendJson(res, 200, JSON.stringify(metadata))
}

/**
 * Serves the JWK Set of the published signing keys, the current one first.
 *
 * @example
 * await handleJwksRequest(context, req, res, entry)
 */
export async function handleJwksRequest(
  context: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: PendingEntry,
): Promise<void> {
  if (refuseMethod(req, res, entry)) return
  entry.status = 200
  sendJson(res, 200, JSON.stringify(context.keys.jwks()))
}

function refuseMethod(req: IncomingMessage, res: ServerResponse, entry: PendingEntry): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return false
  entry.status = 405
  entry.error = 'invalid_request'
  sendError(res, 405, 'invalid_request', 'this endpoint accepts only GET', { allow: 'GET, HEAD' })
  return true
}
