/**
 * `self_signed_tls_client_auth` (RFC 8705 §2.2): the client's certificate is one it registered,
 * as the first `x5c` certificate of a key in its `jwks`; no chain is looked at, but the
 * certificate must be valid now by the server's clock.
 */
import { mutualTlsMethod } from '../mutual-tls-method.js'

/** `self_signed_tls_client_auth`: used at the mutual-TLS aliases for a certificate whose chain did not verify, with no other credential. */
export const selfSignedTlsClientAuth = mutualTlsMethod({
  name: 'self_signed_tls_client_auth',
  chainVerified: false,
  verifyCertificate(peer, clientId, server) {
    const registered = server.registry.keySet(clientId)?.certificateThumbprints
    if (registered === undefined || registered.size === 0) {
      return server.registry.tlsIdentity(clientId) === undefined
        ? 'the client has no certificate registered (jwks x5c) for self_signed_tls_client_auth'
        : "the client certificate's chain did not verify against the server's client CA (tls_client_auth)"
    }
    if (!registered.has(peer.thumbprint)) return "the client certificate is not one registered in the client's jwks (x5c)"
    const now = server.clock.now()
    if (now < Date.parse(peer.certificate.validFrom) || now > Date.parse(peer.certificate.validTo)) {
      return 'the client certificate is not valid at this time'
    }
    return server.registry.get(clientId) ?? 'client authentication failed'
  },
})
