/**
 * `tls_client_auth` (RFC 8705 §2.1): PKI mutual TLS. The client's certificate chains to the
 * server's client CA (the TLS handshake verified it) and carries the subject DN or the subject
 * alternative name the client registered (`tlsClientAuth`). A client that registered no
 * `tlsClientAuth` but this very certificate in its `jwks` (`x5c`, the registration of
 * `self_signed_tls_client_auth`) is taken as well: RFC 8705 §2.2 asks only that the certificate be
 * the registered one, whoever signed it.
 */
import { mutualTlsMethod } from '../mutual-tls-method.js'

/** `tls_client_auth`: used at the mutual-TLS aliases for a certificate whose chain verified, with no other credential. */
export const tlsClientAuth = mutualTlsMethod({
  name: 'tls_client_auth',
  chainVerified: true,
  verifyCertificate(peer, clientId, server) {
    const matches = server.registry.tlsIdentity(clientId)
    if (matches === undefined) {
      const registered = server.registry.keySet(clientId)?.certificateThumbprints.has(peer.thumbprint) === true
      if (registered) return server.registry.get(clientId) ?? 'client authentication failed'
      return 'the client has no tlsClientAuth registered for tls_client_auth'
    }
    if (!matches(peer)) return 'the client certificate does not carry the subject DN or name registered in tlsClientAuth'
    return server.registry.get(clientId) ?? 'client authentication failed'
  },
})
