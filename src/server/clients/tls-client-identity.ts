/**
 * `tls_client_auth` registration (RFC 8705 §2.1.2): which certificate a client authenticates with,
 * named by exactly one of its subject DN or a subject alternative name, and the check of a presented
 * certificate against it. The chain itself is verified by the TLS handshake against the server's
 * client CA; this file only says whether the verified certificate is this client's.
 */
import { isIP } from 'node:net'
import { invalidArgument } from '../../errors/invalid-argument.js'
import type { PeerCertificate } from '../tls/peer-certificate.js'

/**
 * How a `tls_client_auth` client's certificate is recognised: exactly one member, as RFC 8705
 * §2.1.2's client metadata (`tls_client_auth_subject_dn`, `tls_client_auth_san_dns`, ...).
 *
 * @example
 * { subjectDn: 'CN=orders,O=Example,C=DE' }
 * @example
 * { sanDns: 'orders.internal.example' }
 */
export interface TlsClientAuthIdentity {
  /**
   * The subject DN as RFC 4514 writes it (last RDN first: `CN=svc,O=Example`). Attribute types
   * are compared without regard to case and spaces (U+0020) around commas and `=` are ignored;
   * values exactly (an escaped space, `\ `, is part of the value; other white space always is).
   */
  subjectDn?: string
  /** A `dNSName` the certificate lists (compared without regard to case, no wildcards). */
  sanDns?: string
  /** A `uniformResourceIdentifier` the certificate lists, exactly. */
  sanUri?: string
  /** An `iPAddress` the certificate lists, IPv4 or IPv6. */
  sanIp?: string
  /** An `rfc822Name` the certificate lists. */
  sanEmail?: string
}

/** Says whether a verified certificate is the registered one. */
export type TlsIdentityCheck = (peer: PeerCertificate) => boolean

const MEMBERS = ['subjectDn', 'sanDns', 'sanUri', 'sanIp', 'sanEmail'] as const

/**
 * Checks a client's `tlsClientAuth` and builds its check. Throws a `TypeError` naming the member
 * for anything but exactly one non-empty string member (an IP address for `sanIp`).
 *
 * @example
 * const matches = tlsIdentityCheck({ subjectDn: 'CN=svc' }, 'options.clients[0].tlsClientAuth')
 */
export function tlsIdentityCheck(identity: unknown, name: string): TlsIdentityCheck {
  if (typeof identity !== 'object' || identity === null || Array.isArray(identity)) {
    throw invalidArgument(name, `must be an object with one of ${MEMBERS.join(', ')}`)
  }
  const record = identity as Record<string, unknown>
  const unknown = Object.keys(record).find((key) => !(MEMBERS as readonly string[]).includes(key))
  if (unknown !== undefined) throw invalidArgument(`${name}.${unknown}`, `is not a member; use one of ${MEMBERS.join(', ')}`)
  const given = MEMBERS.filter((member) => record[member] !== undefined)
  if (given.length !== 1) throw invalidArgument(name, `must have exactly one of ${MEMBERS.join(', ')} (RFC 8705 §2.1.2)`)
  const member = given[0] as (typeof MEMBERS)[number]
  const value = record[member]
  if (typeof value !== 'string' || value.trim() === '') throw invalidArgument(`${name}.${member}`, 'must be a non-empty string')
  switch (member) {
    case 'subjectDn': {
      const expected = normalizeDn(value)
      return (peer) => normalizeDn(peer.subject) === expected
    }
    case 'sanDns':
      return (peer) => peer.certificate.checkHost(value, { subject: 'never', wildcards: false }) !== undefined
    case 'sanIp':
      if (isIP(value) === 0) throw invalidArgument(`${name}.sanIp`, 'must be an IPv4 or IPv6 address')
      return (peer) => peer.certificate.checkIP(value) !== undefined
    case 'sanEmail':
      return (peer) => peer.certificate.checkEmail(value, { subject: 'never' }) !== undefined
    case 'sanUri':
      return (peer) => subjectAltNames(peer.certificate.subjectAltName).some((entry) => entry === `URI:${value}`)
  }
}

/**
 * A DN in RFC 4514 form with spaces around separators dropped and attribute types upper-cased, so
 * that `cn=svc, o=Example` and `CN=svc,O=Example` compare equal. Escaped commas stay inside their value.
 */
function normalizeDn(dn: string): string {
  const rdns: string[] = []
  let current = ''
  for (let index = 0; index < dn.length; index++) {
    const char = dn[index] as string
    if (char === '\\' && index + 1 < dn.length) {
      current += char + (dn[++index] as string)
    } else if (char === ',') {
      rdns.push(current)
      current = ''
    } else {
      current += char
    }
  }
  rdns.push(current)
  return rdns
    .map((rdn) => {
      const trimmed = trimSpaces(rdn)
      const equals = trimmed.indexOf('=')
      return equals === -1 ? trimmed : `${trimSpaces(trimmed.slice(0, equals)).toUpperCase()}=${trimSpaces(trimmed.slice(equals + 1))}`
    })
    .join(',')
}

/**
 * `text` without the ASCII spaces (U+0020) at either end; a space escaped with a backslash (`\ `)
 * stays. Only U+0020: `String#trim()` also drops Unicode white space (U+00A0, U+3000, U+FEFF...),
 * which OpenSSL does not escape, so a certificate for `CN=orders\u00A0` would match `CN=orders`.
 */
function trimSpaces(text: string): string {
  let start = 0
  while (text[start] === ' ') start++
  let end = text.length
  while (end > start && text[end - 1] === ' ') {
    let backslashes = 0
    while (end - 2 - backslashes >= start && text[end - 2 - backslashes] === '\\') backslashes++
    if (backslashes % 2 === 1) break
    end--
  }
  return text.slice(start, end)
}

/**
 * The entries of node:crypto's `subjectAltName` text (`DNS:a, URI:b`), where a value holding a
 * separator or quote is written as a JSON string (`URI:"a, DNS:b"`), so that a certificate cannot
 * smuggle an entry into the list.
 */
function subjectAltNames(text: string | undefined): string[] {
  if (text === undefined) return []
  const entries: string[] = []
  let index = 0
  while (index < text.length) {
    const colon = text.indexOf(':', index)
    if (colon === -1) break
    const type = text.slice(index, colon)
    let value: string
    let end: number
    if (text[colon + 1] === '"') {
      // A JSON string: find its closing quote, skipping escapes.
      let close = colon + 2
      while (close < text.length && text[close] !== '"') close += text[close] === '\\' ? 2 : 1
      try {
        value = JSON.parse(text.slice(colon + 1, close + 1)) as string
      } catch {
        return entries
      }
      end = close + 1
    } else {
      const separator = text.indexOf(', ', colon + 1)
      end = separator === -1 ? text.length : separator
      value = text.slice(colon + 1, end)
    }
    entries.push(`${type}:${value}`)
    index = end + 2
  }
  return entries
}
