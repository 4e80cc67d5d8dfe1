// A token endpoint over TLS on loopback, with a self-signed certificate made at test time. Node can
// use a certificate but not make one, so `openssl` makes it; where there is none, the tests that need
// it are skipped with the reason (see `selfSignedCertificate`).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A key and a self-signed certificate, PEM. */
export interface Certificate {
  key: string
  cert: string
}

/**
 * A new P-256 key and a self-signed certificate for `subjectAltName` (such as `'IP:127.0.0.1'`),
 * valid for a day; a string saying why not when `openssl` cannot be run (for `test(..., { skip })`).
 */
export function selfSignedCertificate(subjectAltName: string): Certificate | string {
  const dir = mkdtempSync(join(tmpdir(), 'oauth2cc-cert-'))
  try {
    const keyFile = join(dir, 'key.pem')
    const certFile = join(dir, 'cert.pem')
    const result = spawnSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=oauth2cc test', '-addext', `subjectAltName=${subjectAltName}`, '-keyout', keyFile, '-out', certFile,
    ], { encoding: 'utf8', timeout: 10_000 })
    if (result.error !== undefined) return `openssl cannot be run (${(result.error as NodeJS.ErrnoException).code ?? result.error.message}): no certificate to test TLS with`
    if (result.status !== 0) return `openssl failed: ${result.stderr.trim().split('\n').at(-1) ?? ''}`
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
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
