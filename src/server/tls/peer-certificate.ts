/**
 * The client certificate of a request over TLS, as the mutual-TLS methods and certificate-bound
 * tokens (RFC 8705) see it: the certificate, its SHA-256 thumbprint (`x5t#S256`, §3.1), and whether
 * its chain verified against the server's client CA. Worked out once per connection: every request
 * of a keep-alive connection presents the same certificate.
 */
import type { X509Certificate } from 'node:crypto'
import { certificateThumbprint } from '../../protocol/certificate-thumbprint.js'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'

/** The certificate a client presented in the TLS handshake. */
export interface PeerCertificate {
  readonly certificate: X509Certificate
  /** base64url of the SHA-256 of the certificate's DER: the `x5t#S256` confirmation (RFC 8705 §3.1). */
  readonly thumbprint: string
  /** The subject, RFC 4514 style (`CN=svc,O=Example`), for the log and for `tls_client_auth_subject_dn`. */
  readonly subject: string
  /**
   * True when the chain verified against the server's client CA (`socket.authorized`):
   * `tls_client_auth` needs it; `self_signed_tls_client_auth` does not look.
   */
  readonly chainVerified: boolean
}

const byConnection = new WeakMap<Socket, PeerCertificate | null>()

/**
 * The client certificate of the request's connection, or `undefined` on plain HTTP and when the
 * client presented none.
 *
 * @example
 * peerCertificate(req)?.thumbprint // 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2'
 */
export function peerCertificate(req: IncomingMessage): PeerCertificate | undefined {
  const socket = req.socket
  const known = byConnection.get(socket)
  if (known !== undefined) return known ?? undefined
  const tls = socket as Partial<TLSSocket>
  const certificate = typeof tls.getPeerX509Certificate === 'function' ? tls.getPeerX509Certificate() : undefined
  const peer =
    certificate === undefined
      ? null
      : {
          certificate,
          thumbprint: certificateThumbprint(certificate),
          // A certificate with an empty subject (allowed with a subjectAltName, RFC 5280 §4.1.2.6) has none.
          subject: rfc4514Subject(certificate.subject),
          chainVerified: tls.authorized === true,
        }
  byConnection.set(socket, peer)
  return peer ?? undefined
}


/**
 * A subject as node:crypto prints it (one `type=value` line per attribute, in certificate order,
 * each value already escaped as RFC 2253 says and control characters escaped, so a line break never
 * comes from the certificate) written as RFC 4514 does: last RDN first, comma-separated.
 *
 * @example
 * rfc4514Subject('C=DE\nO=Example\nCN=svc') // 'CN=svc,O=Example,C=DE'
 */
export function rfc4514Subject(subject: string | undefined): string {
  if (typeof subject !== 'string') return ''
  return subject
    .split('\n')
    .filter((line) => line !== '')
    .reverse()
    .join(',')
}
