/**
 * The `tls` option of the reference server: the certificate and key it serves HTTPS with, and the
 * CAs a client certificate must chain to for `tls_client_auth`, either given or made at start by a
 * throwaway test CA ({@link createTestCertificateAuthority}).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { isIP } from 'node:net'
import { invalidArgument } from '../../errors/invalid-argument.js'
import { createTestCertificateAuthority, type TestCertificateAuthority } from './test-certificates.js'

/** The server's own certificate, given rather than made (`tls: { cert, key, clientCa }`). */
export interface ReferenceServerTlsOptions {
  /** The server's certificate chain, PEM, leaf first. */
  cert: string
  /** The server's private key, PEM (not encrypted). */
  key: string
  /**
   * The CAs a client certificate must chain to for `tls_client_auth`, PEM.
   *
   * @default none: every client certificate is unverified, so only `self_signed_tls_client_auth` works
   */
  clientCa?: string | string[]
}

/** The TLS settings resolved. */
export interface ServerTls {
  readonly cert: string
  readonly key: string
  readonly clientCa: readonly string[]
  /** With `tls: true`: the CA that signed the server's certificate and that client certificates chain to. */
  readonly authority: TestCertificateAuthority | undefined
}

/**
 * Checks the `tls` option, or makes the certificates of `tls: true`. Throws a `TypeError` naming
 * the member, never quoting a key.
 *
 * @example
 * resolveServerTls(true, '127.0.0.1', undefined)?.authority?.cert // '-----BEGIN CERTIFICATE-----...'
 */
export function resolveServerTls(tls: unknown, host: string, issuer: string | undefined): ServerTls | undefined {
  if (tls === undefined || tls === false) return undefined
  if (tls === true) {
    const authority = createTestCertificateAuthority({ subject: { commonName: 'oauth2cc reference server CA' }, validityDays: 30 })
    const ipAddresses = new Set(['127.0.0.1', '::1'])
    const dnsNames = new Set(['localhost'])
    for (const name of [host, issuer === undefined ? undefined : new URL(issuer).hostname.replace(/^\[(.*)\]$/, '$1')]) {
      if (name === undefined || name === '0.0.0.0' || name === '::') continue
      if (isIP(name) === 0) dnsNames.add(name)
      else ipAddresses.add(name)
    }
    const server = authority.issue({
      subject: { commonName: 'oauth2cc reference server' },
      ipAddresses: [...ipAddresses],
      dnsNames: [...dnsNames],
      usage: 'server',
      validityDays: 30,
    })
    return { cert: server.cert, key: server.key, clientCa: [authority.cert], authority }
  }
  if (typeof tls !== 'object' || tls === null || Array.isArray(tls)) {
    throw invalidArgument('options.tls', 'must be true or { cert, key, clientCa? }')
  }
  const { cert, key, clientCa, ...rest } = tls as Record<string, unknown>
  const unknown = Object.keys(rest)[0]
  if (unknown !== undefined) throw invalidArgument(`options.tls.${unknown}`, 'is not an option; the options are cert, key and clientCa')
  if (typeof cert !== 'string') throw invalidArgument('options.tls.cert', 'must be a PEM certificate')
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(cert)
  } catch {
    throw invalidArgument('options.tls.cert', 'is not a PEM certificate')
  }
  if (typeof key !== 'string') throw invalidArgument('options.tls.key', 'must be a PEM private key')
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(key))) throw new Error('mismatch')
  } catch {
    throw invalidArgument('options.tls.key', 'must be an unencrypted PEM private key that matches options.tls.cert')
  }
  const cas = clientCa === undefined ? [] : Array.isArray(clientCa) ? clientCa : [clientCa]
  cas.forEach((ca, index) => {
    try {
      if (typeof ca !== 'string') throw new Error('not a string')
      new X509Certificate(ca)
    } catch {
      throw invalidArgument(Array.isArray(clientCa) ? `options.tls.clientCa[${index}]` : 'options.tls.clientCa', 'is not a PEM certificate')
    }
  })
  return { cert, key, clientCa: Object.freeze([...(cas as string[])]), authority: undefined }
}
