/**
 * The reference OAuth 2.0 token server, for tests: a strict token endpoint (RFC 6749) with client
 * secrets, JWT client authentication (`private_key_jwt`, `client_secret_jwt`: RFC 7523) and, over
 * HTTPS, mutual TLS (`tls_client_auth`, `self_signed_tls_client_auth`, certificate-bound tokens:
 * RFC 8705, with throwaway test certificates), DPoP-bound tokens (RFC 9449), JWT access
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
export type { ReferenceServer } from './reference-server.js'
export type { ReferenceServerOptions } from './options.js'
export type { ReferenceClient, ReferenceClientSecret } from './clients/client-registry.js'
export type { ClientJwk, ClientJwkSet } from './clients/client-keys.js'
export type { AssertionHeader, ClientAssertionOptions } from './clients/client-assertion.js'
export type { DpopOptions } from './dpop/dpop-options.js'
export type { DpopControls, NonceRotation, NonceStanding } from './dpop/dpop-nonces.js'
export { generateClientSecret, hashClientSecret } from './clients/client-secret.js'
export type { GeneratedClientSecret } from './clients/client-secret.js'
export type { ThrottleOptions } from './clients/failure-throttle.js'
export type { ReferenceAuthMethod } from './clients/client-authentication.js'
export type { TlsClientAuthIdentity } from './clients/tls-client-identity.js'
export type { ReferenceServerTlsOptions } from './tls/server-tls.js'
export { createSelfSignedCertificate, createTestCertificateAuthority } from './tls/test-certificates.js'
export type { CertificateRequest, CertificateSubject, IssuedCertificate, TestCertificateAuthority } from './tls/test-certificates.js'
export { RequestLog } from './test-controls/request-log.js'
export type {
  LoggedCertificate,
  LoggedDpopProof,
  RequestLogBounds,
  RequestLogEntry,
  RequestLogFilter,
  RequestLogJson,
} from './test-controls/request-log.js'
export { FaultScript } from './test-controls/faults.js'
export type {
  BodyFault,
  DelayFault,
  DpopFault,
  DropFault,
  Fault,
  FaultOptions,
  InvalidDpopProofFault,
  StatusFault,
  TokenFault,
  TruncateFault,
  UseDpopNonceFault,
} from './test-controls/faults.js'
export { QUIRKS } from './test-controls/quirks.js'
export type { Quirk } from './test-controls/quirks.js'
export { TokenStore } from './tokens/token-store.js'
export type { IssuedToken, StoreGrant } from './tokens/token-store.js'
export type {
  AccessTokenClaims,
  CertificateConfirmation,
  DpopConfirmation,
  TokenConfirmation,
  TokenFormat,
} from './tokens/token-format.js'
export type { JwkSet, PublishedJwk, SigningAlgorithm } from './tokens/signing-keys.js'
export type { AuthorizationServerMetadata, MtlsEndpointAliases } from './endpoints/metadata.js'
export type { ActiveIntrospection } from './endpoints/introspection.js'
export type { ResourceResponse } from './endpoints/protected-resource.js'

import type { ReferenceAuthMethod } from './clients/client-authentication.js'
/**
 * The old name of {@link ReferenceAuthMethod}, kept so existing imports compile. It differs from the
 * client's `AuthMethod` (`oauth2-client-credentials`), which names only the methods a client can use.
 *
 * @deprecated Use `ReferenceAuthMethod`.
 * @example
 * import type { ReferenceAuthMethod } from 'oauth2-client-credentials/server'
 * const method: ReferenceAuthMethod = 'client_secret_basic'
 */
export type AuthMethod = ReferenceAuthMethod
