// Shared helpers of the reference-server tests: requests by fetch, by raw socket, the secrets used,
// and client assertions signed with jose (RFC 7523).
import { hash, randomUUID, type KeyObject } from 'node:crypto'
import { connect } from 'node:net'
import { SignJWT, type CryptoKey } from 'jose'
import { formEncode } from '../../src/auth/form-encoding.js'

/** A secret with every character that breaks naive Basic handling: `:` `%` `+` `&` `=` `/` and a space. */
export { RESERVED_SECRET as SECRET } from '../helpers/secrets.js'

/** `Authorization: Basic` as RFC 6749 §2.3.1 wants it: each part form-encoded before base64. */
export function basic(clientId: string, secret: string): string {
  return 'Basic ' + Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`, 'utf8').toString('base64')
}

/** `Authorization: Basic` the RFC 7617 way, without form-encoding: what a non-compliant client sends. */
export function rawBasic(clientId: string, secret: string): string {
  return 'Basic ' + Buffer.from(`${clientId}:${secret}`, 'utf8').toString('base64')
}

export interface TokenResponse {
  status: number
  headers: Headers
  text: string
  json: Record<string, unknown>
}

export interface PostOptions {
  /** Sent as `Authorization`. */
  authorization?: string
  /** Overrides the form content type; `null` sends none. */
  contentType?: string | null
  /** Appended to the token URL. */
  query?: string
  headers?: Record<string, string>
}

/**
 * POSTs a token request. `body` is a form string as it is, or pairs form-encoded by URLSearchParams
 * (so repeated names can be sent).
 */
export async function postToken(
  tokenUrl: string,
  body: string | [string, string][] | Record<string, string>,
  options: PostOptions = {},
): Promise<TokenResponse> {
  const headers: Record<string, string> = { ...options.headers }
  const contentType = options.contentType === undefined ? 'application/x-www-form-urlencoded' : options.contentType
  if (contentType !== null) headers['content-type'] = contentType
  if (options.authorization !== undefined) headers['authorization'] = options.authorization
  const encoded = typeof body === 'string' ? body : new URLSearchParams(body).toString()
  const response = await fetch(tokenUrl + (options.query ?? ''), {
    method: 'POST',
    headers,
    body: Buffer.from(encoded),
  })
  const text = await response.text()
  let json: Record<string, unknown> = {}
  try {
    json = JSON.parse(text) as Record<string, unknown>
  } catch {
    // Not JSON; tests that expect JSON check `json` and fail there.
  }
  return { status: response.status, headers: response.headers, text, json }
}

export interface RawResponse {
  status: number
  /** Header names lower-cased; repeated headers joined with ', '. */
  headers: Record<string, string>
  body: string
}

/**
 * Sends `request` (a complete HTTP/1.1 message; `Connection: close` is expected so the server
 * ends the socket) over a raw socket and parses the answer. For what fetch will not send.
 */
export function rawHttp(port: number, request: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const split = text.indexOf('\r\n\r\n')
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        const name = line.slice(0, colon).trim().toLowerCase()
        const value = line.slice(colon + 1).trim()
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: text.slice(split + 4) })
    })
    socket.write(request)
  })
}

/** `error` and `error_description` characters allowed by RFC 6749 §5.2. */
export const ERROR_TEXT = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/

/** POSTs a form to any client-authenticated endpoint (introspection, revocation); see {@link postToken}. */
export const postForm = postToken

/** Gets a token from the token endpoint and returns `access_token`, failing the test on any other answer. */
export async function fetchToken(
  tokenUrl: string,
  authorization: string,
  body: string | [string, string][] | Record<string, string> = { grant_type: 'client_credentials' },
): Promise<string> {
  const response = await postToken(tokenUrl, body, { authorization })
  if (response.status !== 200 || typeof response.json['access_token'] !== 'string') {
    throw new Error(`token request failed: ${response.status} ${response.text}`)
  }
  return response.json['access_token']
}

// The members of each key type that RFC 7638 §3.2 hashes, in lexicographic order.
const THUMBPRINT_MEMBERS = { EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'], RSA: ['e', 'kty', 'n'] } as const

/**
 * An RFC 7638 thumbprint written out independently of the server (which uses jose's
 * `calculateJwkThumbprint`), to check its `kid`s against: SHA-256 over the required members in
 * lexicographic order, base64url. Synchronous, unlike jose's.
 */
export function jwkThumbprint(jwk: {
  readonly kty: 'EC' | 'OKP' | 'RSA'
  readonly crv?: string
  readonly x?: string
  readonly y?: string
  readonly n?: string
  readonly e?: string
}): string {
  const members = THUMBPRINT_MEMBERS[jwk.kty].map((name) => `${JSON.stringify(name)}:${JSON.stringify(jwk[name])}`)
  return hash('sha256', `{${members.join(',')}}`, 'base64url')
}

/** The `client_assertion_type` of JWT client assertions (RFC 7523 §2.2). */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/**
 * The claims of a client assertion as RFC 7523 §3 wants them, for `clientId` at `audience`, issued
 * at `nowMs` (epoch ms; whole seconds in the claims) and valid 60 s, with a fresh `jti`. A member
 * of `overrides` set to `undefined` is left out.
 */
export function assertionClaims(
  clientId: string,
  audience: string | string[],
  nowMs: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const iat = Math.floor(nowMs / 1000)
  const claims: Record<string, unknown> = {
    iss: clientId,
    sub: clientId,
    aud: audience,
    iat,
    exp: iat + 60,
    jti: randomUUID(),
    ...overrides,
  }
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
  return claims
}

/** Signs `claims` as a JWT with jose's SignJWT; `header` gives `alg` and, optionally, `kid` and more. */
export function signAssertion(
  key: CryptoKey | KeyObject | Uint8Array,
  header: { alg: string; kid?: string; [member: string]: unknown },
  claims: Record<string, unknown>,
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header).sign(key)
}

/** A token request's form authenticating with `assertion`; `extra` adds or overrides members. */
export function assertionForm(assertion: string, extra: Record<string, string> = {}): Record<string, string> {
  return { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: assertion, ...extra }
}

/** A JWS with any header and signature, signed by nothing: `none`, or an algorithm no library signs with. */
export function unsignedJws(header: Record<string, unknown>, claims: Record<string, unknown>, signature = ''): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url')
  return `${part(header)}.${part(claims)}.${signature}`
}
