export { startReferenceServer } from './reference-server.js'
export type { ReferenceServer, ReferenceServerOptions } from './reference-server.js'
export type { ReferenceClient, ReferenceClientSecret } from './client-registry.js'
export { generateClientSecret, hashClientSecret } from './client-secret.js'
export type { GeneratedClientSecret } from './client-secret.js'
export type { ThrottleOptions } from './failure-throttle.js'
export type { AuthMethod } from './client-authentication.js'
export { RequestLog } from './request-log.js'
export type { RequestLogEntry, RequestLogFilter } from './request-log.js'
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
