/**
 * What `tls_client_auth` and `self_signed_tls_client_auth` share (RFC 8705 §2): the client proves
 * its identity with the certificate it presented in the TLS handshake, and names itself with
 * `client_id` in the form, which is required (§2). Which of the two a request uses follows from
 * the certificate: one whose chain verified against the server's client CA is `tls_client_auth`,
 * any other `self_signed_tls_client_auth`. The server looks at certificates only at its mutual-TLS
 * endpoint aliases (`/mtls/token`...), where `identifyClient` hands the certificate on.
 */
import { firstValue, type FormParams } from '../exchange/form-body.js'
import { ServerError } from '../exchange/server-error.js'
import type { ServerContext } from '../exchange/server-context.js'
import type { PeerCertificate } from '../tls/peer-certificate.js'
import { ASSERTION_PARAMS } from './client-assertion.js'
import type { ClientAuthMethod, CredentialsRequest, MethodClaim } from './client-authentication.js'
import { AUTHENTICATION_FAILED, type RegisteredClient } from './client-registry.js'

/** What sets one mutual-TLS method apart from the other. */
export interface MutualTlsMethodSpec<Name extends 'tls_client_auth' | 'self_signed_tls_client_auth'> {
  readonly name: Name
  /** True for `tls_client_auth`: the method of certificates whose chain verified. */
  readonly chainVerified: boolean
  /** The registered client when the certificate is its own; else why not (a `401 invalid_client` description). */
  verifyCertificate(peer: PeerCertificate, clientId: string, server: ServerContext): RegisteredClient | string
}

/** True when the form carries a credential of another method: then the certificate only binds the token. */
function hasFormCredential(params: FormParams): boolean {
  return params.has('client_secret') || ASSERTION_PARAMS.some((name) => params.has(name))
}

/**
 * A mutual-TLS client authentication method.
 *
 * @example
 * export const tlsClientAuth = mutualTlsMethod({ name: 'tls_client_auth', chainVerified: true, verifyCertificate })
 */
export function mutualTlsMethod<Name extends 'tls_client_auth' | 'self_signed_tls_client_auth'>(
  spec: MutualTlsMethodSpec<Name>,
): ClientAuthMethod & { readonly name: Name } {
  const { name, chainVerified } = spec
  const clientIdRequired: MethodClaim = {
    ok: false,
    status: 400,
    error: 'invalid_request',
    description: `client_id is required with ${name} (RFC 8705, section 2)`,
  }
  return {
    name,
    presentedIn: 'nowhere',
    credentialParams: [],
    clientIdFrom: 'client_id',
    isUsedBy: (request: CredentialsRequest) =>
      request.certificate !== undefined &&
      request.certificate.chainVerified === chainVerified &&
      request.authorization === undefined &&
      !hasFormCredential(request.params),
    read: (request) => {
      const clientId = firstValue(request.params, 'client_id')
      if (clientId === undefined) return clientIdRequired
      return { ok: true, clientId, credential: undefined, basicFormEncoded: undefined }
    },
    verify: (request, server) => {
      const peer = request.certificate
      if (peer === undefined || server.registry.get(request.clientId) === undefined) return AUTHENTICATION_FAILED
      const outcome = spec.verifyCertificate(peer, request.clientId, server)
      return typeof outcome === 'string' ? new ServerError(401, 'invalid_client', outcome) : outcome
    },
  }
}
