// A token endpoint over TLS on loopback, with a self-signed certificate made at test time in process
// by the test-certificate builder (`createSelfSignedCertificate`, node:crypto only, no openssl).
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { createSelfSignedCertificate } from '../../src/server/tls/test-certificates.js'

/** A key and a self-signed certificate, PEM. */
export interface Certificate {
  key: string
  cert: string
}

/**
 * A new P-256 key and a self-signed certificate for `subjectAltName`, an openssl-style comma list of
 * `IP:` and `DNS:` entries (such as `'IP:127.0.0.1'` or `'IP:127.0.0.1, DNS:localhost'`), valid for a
 * day. Always a `Certificate` now; the `string` (a reason to skip, from the days of openssl) stays in
 * the type so that callers checking for it compile unchanged.
 */
export function selfSignedCertificate(subjectAltName: string): Certificate | string {
  const ipAddresses: string[] = []
  const dnsNames: string[] = []
  for (const entry of subjectAltName.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const [, kind, value] = /^(IP|DNS):(.+)$/i.exec(entry) ?? []
    if (kind === undefined || value === undefined) throw new TypeError(`selfSignedCertificate: '${entry}' is not an IP: or DNS: entry`)
    if (kind.toUpperCase() === 'IP') ipAddresses.push(value.trim())
    else dnsNames.push(value.trim())
  }
  const made = createSelfSignedCertificate({ ipAddresses, dnsNames })
  return { key: made.key, cert: made.cert }
}

/** A running TLS token endpoint. */
export interface TlsTokenServer {
  /** `https://127.0.0.1:<port>/token`. */
  readonly tokenUrl: string
  readonly origin: string
  /** TCP connections accepted: one per attempt when every handshake fails. */
  readonly connections: number
  /** Token requests answered (each with a new token). */
  readonly requests: number
  close(): Promise<void>
}

/** Starts an https server on 127.0.0.1 that answers every request with a new token. */
export async function startTlsTokenServer(certificate: Certificate): Promise<TlsTokenServer> {
  let connections = 0
  let requests = 0
  const server: Server = createServer(certificate, (req, res) => {
    req.resume()
    req.on('end', () => {
      requests++
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ access_token: `tls-token-${requests}`, token_type: 'Bearer', expires_in: 3600 }))
    })
  })
  server.on('connection', () => connections++)
  // A client that refuses the certificate resets the connection: nothing for the server to do.
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    tokenUrl: `${origin}/token`,
    origin,
    get connections() {
      return connections
    },
    get requests() {
      return requests
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
