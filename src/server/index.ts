/**
 * The reference OAuth 2.0 token server, for tests: a strict token endpoint (RFC 6749), JWT access
 * tokens (RFC 9068), discovery (RFC 8414), introspection (RFC 7662), revocation (RFC 7009) and a
 * protected resource (RFC 6750), with faults on demand, quirk profiles, a request log and an
 * injectable clock.
 *
 * @example
 * import { startReferenceServer } from 'oauth2-client-credentials/server'
 *
 * const server = await startReferenceServer({
 *   clients: [{ clientId: 'svc', clientSecret: 's3cr:et%', scopes: ['api:read'] }],
 * })
 * // ... server.tokenUrl, server.faults, server.log ...
 * await server.close()
 *
 * @module oauth2-client-credentials/server
 */
export { startReferenceServer } from './reference-server.js'
export type { ReferenceServer, ReferenceServerOptions } from './reference-server.js'
export type { ReferenceClient, ReferenceClientSecret } from './client-registry.js'
export { generateClientSecret, hashClientSecret } from './client-secret.js'
export type { GeneratedClientSecret } from './client-secret.js'
export type { ThrottleOptions } from './failure-throttle.js'
export type { AuthMethod } from './client-authentication.js'
export { RequestLog } from './request-log.js'
export type { RequestLogBounds, RequestLogEntry, RequestLogFilter, RequestLogJson } from './request-log.js'
export { FaultScript } from './faults.js'
export type {
  BodyFault,
  DelayFault,
  DropFault,
  Fault,
  FaultOptions,
  StatusFault,
  TokenFault,
  TruncateFault,
} from './faults.js'
export { QUIRKS } from './quirks.js'
export type { Quirk } from './quirks.js'
export { TokenStore } from './token-store.js'
export type { IssuedToken, StoreGrant } from './token-store.js'
export type { AccessTokenClaims, TokenFormat } from './token-format.js'
export type { JwkSet, PublishedJwk, SigningAlgorithm } from './signing-keys.js'
export type { AuthorizationServerMetadata } from './discovery.js'
export type { ActiveIntrospection } from './introspection-endpoint.js'
export type { ResourceResponse } from './protected-resource.js'
