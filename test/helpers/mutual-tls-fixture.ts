// A reference server over HTTPS (tls: true) with the two kinds of mutual-TLS client that the mTLS
// tests use: one registered by subject DN for tls_client_auth (its certificate issued by the
// server's throwaway CA, `CN=<id>,O=Example`), one by a self-signed certificate in its jwks (x5c)
// for self_signed_tls_client_auth, plus whatever other clients a test adds.
import { X509Certificate } from 'node:crypto'
import { exportJWK } from 'jose'
import {
  createSelfSignedCertificate,
  startReferenceServer,
  type ClientJwk,
  type IssuedCertificate,
  type ReferenceClient,
  type ReferenceServer,
  type ReferenceServerOptions,
} from '../../src/server/index.js'

/** The public JWK of a certificate's key with the certificate as its `x5c`: how self_signed_tls_client_auth is registered. */
export async function certificateJwk(certificate: Pick<IssuedCertificate, 'cert'>): Promise<ClientJwk> {
  const x509 = new X509Certificate(certificate.cert)
  return { ...(await exportJWK(x509.publicKey)), x5c: [x509.raw.toString('base64')] }
}

/** A running mutual-TLS fixture. */
export interface MutualTlsFixture {
  readonly server: ReferenceServer
  /** The CA to trust (it signed the server's certificate). */
  readonly ca: string
  /** The certificate of the tls_client_auth client. */
  readonly pki: IssuedCertificate
  /** The certificate of the self_signed_tls_client_auth client. */
  readonly selfSigned: IssuedCertificate
}

/** Starts the server; close it with `fixture.server.close()`. */
export async function startMutualTlsFixture(options: {
  readonly pkiClientId: string
  readonly selfSignedClientId: string
  readonly scopes: string[]
  readonly clients?: ReferenceClient[]
  readonly server?: Omit<ReferenceServerOptions, 'tls' | 'clients'>
}): Promise<MutualTlsFixture> {
  const { pkiClientId, selfSignedClientId, scopes } = options
  const selfSigned = createSelfSignedCertificate({ subject: { commonName: selfSignedClientId }, usage: 'client' })
  const server = await startReferenceServer({
    tokenFormat: 'jwt',
    throttle: false,
    ...options.server,
    tls: true,
    clients: [
      { clientId: pkiClientId, tlsClientAuth: { subjectDn: `CN=${pkiClientId},O=Example` }, scopes },
      { clientId: selfSignedClientId, jwks: { keys: [await certificateJwk(selfSigned)] }, scopes },
      ...(options.clients ?? []),
    ],
  })
  const authority = server.certificateAuthority!
  const pki = authority.issue({ subject: { commonName: pkiClientId, organization: 'Example' }, usage: 'client' })
  return { server, ca: authority.cert, pki, selfSigned }
}
