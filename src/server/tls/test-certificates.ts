/**
 * Throwaway X.509 certificates for tests (mutual TLS, `tls_client_auth`, `x5t#S256`), made in process
 * with `node:crypto` only. Node can sign but has no certificate builder, so the TBSCertificate is
 * written with the small DER encoder in `der.ts` and signed with `crypto.sign`.
 *
 * A test CA (`createTestCertificateAuthority`) issues server and client certificates; a self-signed
 * certificate (`createSelfSignedCertificate`) is its own trust anchor. Every key is new, every
 * certificate short-lived; none of this is meant for anything but tests.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import { isIP } from 'node:net'
import { inspect } from 'node:util'
import { invalidArgument } from '../../errors/invalid-argument.js'
import * as der from './der.js'
import { certificateThumbprint } from '../../protocol/certificate-thumbprint.js'

/**
 * The subject (or issuer) name of a certificate. Each given attribute becomes one RDN, encoded in the
 * order C, ST, L, O, OU, CN.
 *
 * @example
 * const subject: CertificateSubject = { commonName: 'orders', organization: 'Example', country: 'DE' }
 */
export interface CertificateSubject {
  /** CN, such as the client id or the host name. */
  commonName?: string
  /** O. */
  organization?: string
  /** OU. */
  organizationalUnit?: string
  /** C: two letters (ISO 3166), encoded as a PrintableString. */
  country?: string
  /** L. */
  locality?: string
  /** ST. */
  state?: string
}

/**
 * What to put in a certificate. Everything is optional: `{}` is an EC P-256 certificate for
 * `CN=oauth2cc test`, for server and client authentication, valid for a day.
 *
 * @example
 * const request: CertificateRequest = { subject: { commonName: 'localhost' }, ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'], usage: 'server' }
 */
export interface CertificateRequest {
  /** The subject; `{ commonName: 'oauth2cc test' }` when not given. */
  subject?: CertificateSubject
  /** subjectAltName dNSName entries (ASCII; punycode for international names; `*.example.com` allowed). */
  dnsNames?: string[]
  /** subjectAltName iPAddress entries, IPv4 or IPv6 (`'127.0.0.1'`, `'::1'`). */
  ipAddresses?: string[]
  /** subjectAltName URI entries (such as a SPIFFE id). */
  uris?: string[]
  /** subjectAltName rfc822Name entries. */
  emails?: string[]
  /** extendedKeyUsage: serverAuth, clientAuth or both (the default). */
  usage?: 'server' | 'client' | 'server-and-client'
  /** Days the certificate is valid from now, a positive integer; 1 when not given. */
  validityDays?: number
  /**
   * Start of validity; 5 minutes ago when not given (so a little clock skew does not matter). When
   * only `notAfter` is given and it is already past, `notBefore` is `validityDays` before it.
   */
  notBefore?: Date
  /**
   * End of validity; `validityDays` from now (or from `notBefore` when that is given). A date in the
   * past makes an expired certificate.
   */
  notAfter?: Date
  /** The key: EC P-256 (the default) or RSA 2048. */
  keyType?: 'ec' | 'rsa'
}

/**
 * A certificate and its private key, PEM. The `key` property is readable but not enumerable (and
 * `util.inspect` shows it as `[redacted]`), so logging or `JSON.stringify` of the object never prints
 * the key; for the same reason `{ ...issued }` has no key: write `{ cert: issued.cert, key: issued.key }`.
 *
 * @example
 * const { cert, key, thumbprint, subject } = createSelfSignedCertificate({ dnsNames: ['localhost'] })
 */
export interface IssuedCertificate {
  /** The certificate, PEM. */
  readonly cert: string
  /** The private key, PKCS#8 PEM (not enumerable). */
  readonly key: string
  /** base64url SHA-256 of the certificate's DER: the `x5t#S256` confirmation value of RFC 8705 §3.1. */
  readonly thumbprint: string
  /** The subject as an RFC 4514 string, CN first (`'CN=svc,O=Example,C=DE'`), as for `tls_client_auth_subject_dn`. */
  readonly subject: string
}

/**
 * A test certificate authority: its own self-signed CA certificate and key, and `issue` for
 * certificates it signs. Trust it with `ca: authority.cert`.
 *
 * @example
 * const authority = createTestCertificateAuthority()
 * const server = authority.issue({ ipAddresses: ['127.0.0.1'], usage: 'server' })
 * const client = authority.issue({ subject: { commonName: 'orders' }, usage: 'client' })
 */
export interface TestCertificateAuthority extends IssuedCertificate {
  /**
   * A new key and a certificate for it signed by this authority (with authorityKeyIdentifier).
   *
   * @example
   * const client = authority.issue({ subject: { commonName: 'orders', organization: 'Example' }, usage: 'client' })
   */
  issue(request?: CertificateRequest): IssuedCertificate
}

/** Everything an issuer needs to sign: its key, its name (DER) and its key identifier. */
interface Issuer {
  readonly privateKey: KeyObject
  readonly name: Buffer
  readonly keyIdentifier: Buffer
}

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE
const DEFAULT_SUBJECT: CertificateSubject = { commonName: 'oauth2cc test' }
const DEFAULT_CA_SUBJECT: CertificateSubject = { commonName: 'oauth2cc test CA' }

/** The attributes in the order they are encoded (RFC 4514 writes them reversed). */
const ATTRIBUTES = [
  { field: 'country', type: 'C', oid: '2.5.4.6' },
  { field: 'state', type: 'ST', oid: '2.5.4.8' },
  { field: 'locality', type: 'L', oid: '2.5.4.7' },
  { field: 'organization', type: 'O', oid: '2.5.4.10' },
  { field: 'organizationalUnit', type: 'OU', oid: '2.5.4.11' },
  { field: 'commonName', type: 'CN', oid: '2.5.4.3' },
] as const

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extendedKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const

/** keyUsage bit numbers (RFC 5280 §4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const

const REQUEST_FIELDS = new Set(['subject', 'dnsNames', 'ipAddresses', 'uris', 'emails', 'usage', 'validityDays', 'notBefore', 'notAfter', 'keyType'])
const AUTHORITY_FIELDS = new Set(['subject', 'validityDays'])
const SUBJECT_FIELDS = new Set<string>(ATTRIBUTES.map((attribute) => attribute.field))

/**
 * A new test CA: an EC P-256 key and a self-signed CA certificate (basicConstraints CA:TRUE, keyUsage
 * keyCertSign and cRLSign), `CN=oauth2cc test CA` and valid for a day unless told otherwise.
 *
 * @example
 * const authority = createTestCertificateAuthority({ subject: { commonName: 'Test CA', organization: 'Example' } })
 * const server = authority.issue({ ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'], usage: 'server' })
 * https.createServer({ cert: server.cert, key: server.key, ca: [authority.cert], requestCert: true })
 */
export function createTestCertificateAuthority(options: { subject?: CertificateSubject; validityDays?: number } = {}): TestCertificateAuthority {
  checkOptionsObject(options, 'options', AUTHORITY_FIELDS)
  const subject = checkSubject(options.subject, 'options.subject') ?? DEFAULT_CA_SUBJECT
  const validity = checkValidity(options.validityDays, undefined, undefined, 'options')
  const { privateKey, publicKey } = newKeyPair('ec')
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  const name = encodeName(subject)
  const keyIdentifier = subjectKeyIdentifier(spki)
  const certificate = buildCertificate({
    issuer: { privateKey, name, keyIdentifier },
    subjectName: name,
    spki,
    validity,
    extensions: [
      extension(OID.basicConstraints, true, der.sequence(der.boolean(true))),
      extension(OID.keyUsage, true, der.namedBits([KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
      extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier)),
    ],
  })
  const authority: Issuer = { privateKey, name, keyIdentifier }
  const methods: Pick<TestCertificateAuthority, 'issue'> = {
    issue(request?: CertificateRequest): IssuedCertificate {
      return createCertificate(request, authority)
    },
  }
  return result('TestCertificateAuthority', certificate, privateKey, subject, methods)
}

/**
 * A new key and a self-signed (non-CA) certificate for it. Its keyUsage also has keyCertSign, as
 * `openssl req -x509` certificates do, so OpenSSL (and so Node's TLS) takes it as its own issuer: a
 * client can trust it as a server certificate with `ca: certificate.cert`, and a server that does not
 * check the chain (`rejectUnauthorized: false`) sees it as a client certificate.
 *
 * @example
 * const certificate = createSelfSignedCertificate({ ipAddresses: ['127.0.0.1'] })
 * https.createServer({ cert: certificate.cert, key: certificate.key })
 * new Agent({ connect: { ca: certificate.cert } })
 */
export function createSelfSignedCertificate(request?: CertificateRequest): IssuedCertificate {
  return createCertificate(request, undefined)
}

/** A certificate signed by `issuer`, or self-signed when there is none. */
function createCertificate(request: CertificateRequest | undefined, issuer: Issuer | undefined): IssuedCertificate {
  const checked = checkRequest(request)
  const { privateKey, publicKey } = newKeyPair(checked.keyType)
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  const name = encodeName(checked.subject)
  const keyIdentifier = subjectKeyIdentifier(spki)
  const keyUsage: number[] = [KEY_USAGE.digitalSignature]
  if (checked.keyType === 'rsa') keyUsage.push(KEY_USAGE.keyEncipherment)
  if (issuer === undefined) keyUsage.push(KEY_USAGE.keyCertSign)
  const purposes = { server: [OID.serverAuth], client: [OID.clientAuth], 'server-and-client': [OID.serverAuth, OID.clientAuth] }[checked.usage]
  const extensions = [
    extension(OID.basicConstraints, true, der.sequence()),
    extension(OID.keyUsage, true, der.namedBits(keyUsage)),
    extension(OID.extendedKeyUsage, false, der.sequence(...purposes.map((purpose) => der.oid(purpose)))),
  ]
  if (checked.generalNames.length > 0) extensions.push(extension(OID.subjectAltName, false, der.sequence(...checked.generalNames)))
  extensions.push(extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier)))
  // keyIdentifier [0] IMPLICIT OCTET STRING inside the AuthorityKeyIdentifier SEQUENCE.
  if (issuer !== undefined) extensions.push(extension(OID.authorityKeyIdentifier, false, der.sequence(der.contextImplicit(0, issuer.keyIdentifier))))
  const certificate = buildCertificate({
    issuer: issuer ?? { privateKey, name, keyIdentifier },
    subjectName: name,
    spki,
    validity: checked.validity,
    extensions,
  })
  return result('IssuedCertificate', certificate, privateKey, checked.subject, {})
}

/** A request with its defaults applied and its SANs encoded. */
interface CheckedRequest {
  readonly subject: CertificateSubject
  readonly generalNames: Buffer[]
  readonly usage: NonNullable<CertificateRequest['usage']>
  readonly validity: { notBefore: Date; notAfter: Date }
  readonly keyType: NonNullable<CertificateRequest['keyType']>
}

function checkRequest(request: CertificateRequest | undefined): CheckedRequest {
  const given = request ?? {}
  checkOptionsObject(given, 'request', REQUEST_FIELDS)
  const subject = checkSubject(given.subject, 'request.subject') ?? DEFAULT_SUBJECT
  const usage = given.usage ?? 'server-and-client'
  if (usage !== 'server' && usage !== 'client' && usage !== 'server-and-client') throw invalidArgument('request.usage', "must be 'server', 'client' or 'server-and-client'")
  const keyType = given.keyType ?? 'ec'
  if (keyType !== 'ec' && keyType !== 'rsa') throw invalidArgument('request.keyType', "must be 'ec' or 'rsa'")
  const validity = checkValidity(given.validityDays, given.notBefore, given.notAfter, 'request')
  // GeneralName tags (RFC 5280 §4.2.1.6): rfc822Name [1], dNSName [2], URI [6], iPAddress [7].
  const generalNames = [
    ...stringList(given.dnsNames, 'request.dnsNames', checkDnsName).map((name) => der.contextImplicit(2, der.ia5Bytes(name))),
    ...stringList(given.ipAddresses, 'request.ipAddresses', checkIpAddress).map((address) => der.contextImplicit(7, ipAddressBytes(address))),
    ...stringList(given.uris, 'request.uris', checkUri).map((uri) => der.contextImplicit(6, der.ia5Bytes(uri))),
    ...stringList(given.emails, 'request.emails', checkEmail).map((email) => der.contextImplicit(1, der.ia5Bytes(email))),
  ]
  return { subject, generalNames, usage, validity, keyType }
}

function checkOptionsObject(value: unknown, name: string, known: Set<string>): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidArgument(name, 'must be an object')
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw invalidArgument(`${name}.${key}`, `is not an option (known: ${[...known].join(', ')})`)
  }
}

function checkSubject(value: unknown, name: string): CertificateSubject | undefined {
  if (value === undefined) return undefined
  checkOptionsObject(value, name, SUBJECT_FIELDS)
  let count = 0
  for (const { field } of ATTRIBUTES) {
    const attribute = value[field]
    if (attribute === undefined) continue
    if (typeof attribute !== 'string' || attribute === '') throw invalidArgument(`${name}.${field}`, 'must be a non-empty string')
    if (attribute.length > 256) throw invalidArgument(`${name}.${field}`, 'must be at most 256 characters')
    count++
  }
  if (value.country !== undefined && !/^[A-Za-z]{2}$/.test(value.country as string)) throw invalidArgument(`${name}.country`, 'must be two letters (ISO 3166)')
  if (count === 0) throw invalidArgument(name, 'must have at least one attribute (commonName, organization, ...)')
  return value as CertificateSubject
}

function checkValidity(days: unknown, notBefore: unknown, notAfter: unknown, name: string): { notBefore: Date; notAfter: Date } {
  if (days !== undefined && !(typeof days === 'number' && Number.isSafeInteger(days) && days > 0)) throw invalidArgument(`${name}.validityDays`, 'must be a positive integer')
  const span = ((days as number | undefined) ?? 1) * DAY
  for (const [field, value] of [['notBefore', notBefore], ['notAfter', notAfter]] as const) {
    if (value !== undefined && !(value instanceof Date && Number.isFinite(value.getTime()))) throw invalidArgument(`${name}.${field}`, 'must be a valid Date')
  }
  // Whole seconds: that is all a certificate holds.
  const now = Math.floor(Date.now() / 1000) * 1000
  const end = notAfter === undefined ? undefined : Math.floor((notAfter as Date).getTime() / 1000) * 1000
  let start: number
  if (notBefore !== undefined) start = Math.floor((notBefore as Date).getTime() / 1000) * 1000
  else if (end !== undefined && end <= now - 5 * MINUTE) start = end - span
  else start = now - 5 * MINUTE
  const finish = end ?? (notBefore === undefined ? now + span : start + span)
  if (finish <= start) throw invalidArgument(`${name}.notAfter`, 'must be after notBefore')
  for (const [field, value] of [['notBefore', start], ['notAfter', finish]] as const) {
    const year = new Date(value).getUTCFullYear()
    if (year < 1950 || year > 9999) throw invalidArgument(`${name}.${field}`, 'must be in the years 1950 to 9999')
  }
  return { notBefore: new Date(start), notAfter: new Date(finish) }
}

function stringList(value: unknown, name: string, check: (item: string, name: string) => void): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw invalidArgument(name, 'must be an array of strings')
  value.forEach((item: unknown, index) => {
    if (typeof item !== 'string' || item === '') throw invalidArgument(`${name}[${index}]`, 'must be a non-empty string')
    check(item, `${name}[${index}]`)
  })
  return value as string[]
}

function checkDnsName(value: string, name: string): void {
  if (value.length > 253 || !/^(\*\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(value)) throw invalidArgument(name, 'must be a DNS name: ASCII letters, digits, hyphens and dots (punycode for international names), optionally starting with *.')
}

function checkIpAddress(value: string, name: string): void {
  if (isIP(value) === 0 || value.includes('%')) throw invalidArgument(name, 'must be an IPv4 or IPv6 address (without a zone)')
}

function checkUri(value: string, name: string): void {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]+$/.test(value) || !URL.canParse(value)) throw invalidArgument(name, 'must be an absolute URI of printable ASCII characters')
}

function checkEmail(value: string, name: string): void {
  if (!/^[\x21-\x3f\x41-\x7e]+@[A-Za-z0-9.-]+$/.test(value)) throw invalidArgument(name, 'must be an email address of ASCII characters (local@domain)')
}

/** The 4 or 16 bytes of an address `isIP` accepted. */
function ipAddressBytes(address: string): Buffer {
  if (isIP(address) === 4) return Buffer.from(address.split('.').map(Number))
  let text = address
  const groups: number[] = []
  // A dotted IPv4 tail (::ffff:192.0.2.1) is the last two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  let tail: number[] = []
  if (dotted?.[1] !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1].split('.').map(Number)
    tail = [(a << 8) | b, (c << 8) | d]
    text = text.slice(0, -dotted[1].length)
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1)
  }
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)))
  const halves = text.split('::')
  if (halves.length === 2) {
    const head = parse(halves[0] ?? '')
    const rest = [...parse(halves[1] ?? ''), ...tail]
    groups.push(...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest)
  } else {
    groups.push(...parse(text), ...tail)
  }
  const bytes = Buffer.alloc(16)
  groups.forEach((group, index) => bytes.writeUInt16BE(group, index * 2))
  return bytes
}

function newKeyPair(keyType: 'ec' | 'rsa'): { privateKey: KeyObject; publicKey: KeyObject } {
  return keyType === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' })
}

/** Name ::= SEQUENCE OF RelativeDistinguishedName, one AttributeTypeAndValue per RDN. */
function encodeName(subject: CertificateSubject): Buffer {
  const rdns: Buffer[] = []
  for (const { field, oid } of ATTRIBUTES) {
    const value = subject[field]
    if (value === undefined) continue
    const encoded = field === 'country' ? der.printableString(value.toUpperCase()) : der.utf8String(value)
    rdns.push(der.set(der.sequence(der.oid(oid), encoded)))
  }
  return der.sequence(...rdns)
}

/**
 * The RFC 4514 string: RDNs last to first (CN first), `,` between them, and the special characters
 * escaped with a backslash.
 */
function subjectString(subject: CertificateSubject): string {
  const parts: string[] = []
  for (const { field, type } of [...ATTRIBUTES].reverse()) {
    const value = subject[field]
    if (value !== undefined) parts.push(`${type}=${escapeAttributeValue(field === 'country' ? value.toUpperCase() : value)}`)
  }
  return parts.join(',')
}

function escapeAttributeValue(value: string): string {
  // As node:crypto reports a subject (OpenSSL's RFC 2253 and control-character escapes), so that the
  // string is the one the server compares: a control character as a backslash and two upper-case hex digits.
  let escaped = value
    .replace(/[,+"\\<>;]/g, (character) => `\\${character}`)
    .replace(/[\x00-\x1f\x7f]/g, (character) => `\\${character.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
  if (escaped.startsWith('#') || escaped.startsWith(' ')) escaped = `\\${escaped}`
  if (escaped.endsWith(' ') && escaped.length > 1) escaped = `${escaped.slice(0, -1)}\\ `
  return escaped
}

/** SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 §4.2.1.2, method 1). */
function subjectKeyIdentifier(spki: Buffer): Buffer {
  const outer = der.readElement(spki)
  const algorithm = der.readElement(outer.contents)
  const publicKey = der.readElement(outer.contents, algorithm.end)
  return createHash('sha1').update(publicKey.contents.subarray(1)).digest()
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? der.sequence(der.oid(id), der.boolean(true), der.octetString(value)) : der.sequence(der.oid(id), der.octetString(value))
}

/** The AlgorithmIdentifier of the issuer's signature: ecdsa-with-SHA256 (no parameters) or sha256WithRSAEncryption (NULL). */
function signatureAlgorithm(key: KeyObject): Buffer {
  if (key.asymmetricKeyType === 'ec') return der.sequence(der.oid(OID.ecdsaWithSha256))
  if (key.asymmetricKeyType === 'rsa') return der.sequence(der.oid(OID.sha256WithRsa), der.nullValue())
  throw new TypeError(`a ${key.asymmetricKeyType ?? 'secret'} key cannot sign a test certificate here`)
}

/** The DER certificate: the TBSCertificate, the algorithm and the issuer's signature over it. */
function buildCertificate(parts: { issuer: Issuer; subjectName: Buffer; spki: Buffer; validity: { notBefore: Date; notAfter: Date }; extensions: Buffer[] }): Buffer {
  const algorithm = signatureAlgorithm(parts.issuer.privateKey)
  // 16 random bytes with the high bit cleared: positive, and never all zero in practice.
  const serial = randomBytes(16)
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01
  const tbs = der.sequence(
    der.contextExplicit(0, der.integer(2)), // v3
    der.integer(serial),
    algorithm,
    parts.issuer.name,
    der.sequence(der.time(parts.validity.notBefore), der.time(parts.validity.notAfter)),
    parts.subjectName,
    parts.spki,
    der.contextExplicit(3, der.sequence(...parts.extensions)),
  )
  const signature = sign('sha256', tbs, parts.issuer.privateKey)
  return der.sequence(tbs, algorithm, der.bitString(signature))
}

function toPem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

/**
 * The frozen result: cert, thumbprint and subject enumerable, the key readable but not enumerable,
 * and a custom inspect that shows it as `[redacted]` (even with `showHidden`).
 */
function result<T extends object>(label: string, certificate: Buffer, privateKey: KeyObject, subject: CertificateSubject, extra: T): IssuedCertificate & T {
  const shown = {
    cert: toPem('CERTIFICATE', certificate),
    thumbprint: certificateThumbprint(certificate),
    subject: subjectString(subject),
  }
  const made = Object.assign({}, shown, extra)
  Object.defineProperty(made, 'key', { value: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, enumerable: false })
  Object.defineProperty(made, inspect.custom, {
    value: (_depth: number, options: object) => `${label} ${inspect({ subject: shown.subject, thumbprint: shown.thumbprint, cert: shown.cert, key: '[redacted]' }, options)}`,
    enumerable: false,
  })
  return Object.freeze(made) as IssuedCertificate & T
}
