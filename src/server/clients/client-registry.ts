/**
 * The clients the reference server knows. Secrets are hashed with SHA-256 when a client is
 * registered and the plaintext is never kept (checklist item 17), or given already hashed
 * (`secretHash`); a presented secret is hashed and compared in constant time (`digestsEqual`).
 * A client may hold several secrets, each with an optional expiry, so rotation can be tested.
 * The exception to item 17 is the `jwtSecret` of `client_secret_jwt`: verifying an HMAC needs the
 * key itself, so it is kept, as a `KeyObject` (nothing of it in `inspect` or JSON), in a field no
 * other method reads. Public keys for `private_key_jwt` are checked by `client-keys.ts`.
 */
import type { KeyObject } from 'node:crypto'
import { inspect } from 'node:util'
import { invalidArgument } from '../../errors/invalid-argument.js'
import { isScopeToken } from '../../protocol/scope-token.js'
import { ServerError } from '../exchange/server-error.js'
import type { ServerContext } from '../exchange/server-context.js'
import { isPositiveInteger } from '../option-checks.js'
import { checkQuirks, type Quirk } from '../test-controls/quirks.js'
import { isTokenFormat, type TokenFormat } from '../tokens/token-format.js'
import type { VerificationRequest } from './client-authentication.js'
import { clientKeySet, jwtSecretKey, type ClientJwkSet, type ClientKeySet } from './client-keys.js'
import { digestsEqual, parseSecretHash, sha256Digest } from './client-secret.js'
import { tlsIdentityCheck, type TlsClientAuthIdentity, type TlsIdentityCheck } from './tls-client-identity.js'

/** One secret of a {@link ReferenceClient}: exactly one of `secret` and `secretHash`. */
export interface ReferenceClientSecret {
  /**
   * The secret: non-empty VSCHAR (%x20-7E, RFC 6749 App. A.2). Hashed at registration, never kept.
   *
   * @default undefined (then `secretHash` is required)
   * @example
   * { secret: 'old secret', expiresAt: new Date('2030-01-01') }
   */
  secret?: string
  /**
   * The secret already hashed, `sha256:<base64url of the SHA-256 digest>`, as
   * `generateClientSecret().stored` or `hashClientSecret(secret)` give it.
   *
   * @default undefined (then `secret` is required)
   * @example
   * { secretHash: hashClientSecret('rotated in'), expiresAt: new Date('2030-01-01') }
   */
  secretHash?: string
  /**
   * When the secret stops working, compared with the server's `clock`.
   *
   * @default undefined (never expires)
   * @example
   * { secret: 'rotated-out', expiresAt: new Date(Date.now() + 60_000) }
   */
  expiresAt?: Date
}

/**
 * A client registered on the reference server. It needs at least one credential: a secret
 * (`clientSecret`, `secretHash` or `secrets`, for `client_secret_basic` and `client_secret_post`),
 * `jwks` (for `private_key_jwt`) or a `jwtSecret` (for `client_secret_jwt`). Each method works for
 * the client once its credential is registered, so one client may use several.
 */
export interface ReferenceClient {
  /**
   * The client identifier: non-empty VSCHAR (%x20-7E, RFC 6749 App. A.1), unique on the server.
   *
   * @example
   * { clientId: 'svc', clientSecret: 's3cr:et%', scopes: ['api:read'] }
   */
  clientId: string
  /**
   * A secret that never expires; shorthand for one entry of `secrets`. VSCHAR only, non-empty.
   *
   * @default undefined
   * @example
   * { clientId: 'svc', clientSecret: 'a b:c%d+e&f=g/h', scopes: [] }
   */
  clientSecret?: string
  /**
   * A secret that never expires, given as its hash `sha256:<base64url>` (see `generateClientSecret`),
   * so the plaintext need not appear in the server's configuration.
   *
   * @default undefined
   * @example
   * { clientId: 'svc', secretHash: generateClientSecret().stored, scopes: ['api:read'] }
   */
  secretHash?: string
  /**
   * Further secrets, for rotation; each may expire.
   *
   * @default []
   * @example
   * { clientId: 'svc', secrets: [{ secret: 'new' }, { secret: 'old', expiresAt: new Date('2030-01-01') }], scopes: [] }
   */
  secrets?: ReferenceClientSecret[]
  /**
   * The client's public keys, for `private_key_jwt` (RFC 7523 §2.2): a JWK Set of public JWKs
   * (`EC` P-256/384/521, `RSA` of 2048 bits or more, `OKP` Ed25519), as jose's `exportJWK(publicKey)`
   * gives them. An assertion whose header names a `kid` is verified with that key only; without a
   * `kid`, with each key that fits its `alg`. A private or symmetric key, a malformed one, a repeated
   * `kid` or an `alg` that does not fit its key makes `startReferenceServer` reject with a `TypeError`
   * naming the key (`options.clients[0].jwks.keys[1]`).
   *
   * @default undefined (no private_key_jwt)
   * @example
   * const { publicKey, privateKey } = await generateKeyPair('ES256')
   * { clientId: 'svc', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] }, scopes: ['api:read'] }
   */
  jwks?: ClientJwkSet
  /**
   * The shared secret of `client_secret_jwt`: the HMAC key of the client's HS256/HS384/HS512
   * assertions, as its UTF-8 bytes. VSCHAR, at least 32 bytes (RFC 7518 §3.2; 48 for HS384 and 64
   * for HS512 assertions), such as `generateClientSecret().secret`. Unlike every other secret here it
   * is kept as given (an HMAC cannot be checked against a hash), so it is a field of its own, used by
   * `client_secret_jwt` only: it never passes for a `client_secret` in Basic or the body, and it
   * is never logged, inspected or serialised. To let a client use one secret both ways, give it as
   * `clientSecret` too.
   *
   * @default undefined (no client_secret_jwt)
   * @example
   * const { secret } = generateClientSecret()
   * { clientId: 'svc', jwtSecret: secret, scopes: ['api:read'] } // the client: ClientSecretJwt(secret)
   */
  jwtSecret?: string
  /**
   * For `tls_client_auth` (RFC 8705 §2.1, with the server's `tls` on): the certificate the client
   * authenticates with, named by exactly one of its subject DN (`subjectDn`, RFC 4514 order:
   * `CN=svc,O=Example`) or a subject alternative name (`sanDns`, `sanUri`, `sanIp`, `sanEmail`). The
   * certificate must also chain to the server's client CA. For `self_signed_tls_client_auth` (§2.2),
   * register the certificate instead as the `x5c` of a key in `jwks`.
   *
   * @default undefined (no tls_client_auth)
   * @example
   * const cert = server.certificateAuthority!.issue({ subject: { commonName: 'svc' }, usage: 'client' })
   * { clientId: 'svc', tlsClientAuth: { subjectDn: 'CN=svc' }, scopes: ['api:read'] }
   */
  tlsClientAuth?: TlsClientAuthIdentity
  /**
   * The scopes the client may ask for, each a scope token (NQCHAR). A request without `scope` is
   * granted all of them.
   *
   * @example
   * { clientId: 'svc', clientSecret: 'x', scopes: ['api:read', 'api:write'] }
   */
  scopes: string[]
  /**
   * The grant types the client may use. The server itself supports only `client_credentials`, so a
   * client registered without it is answered `unauthorized_client`.
   *
   * @default ['client_credentials']
   * @example
   * { clientId: 'legacy', clientSecret: 'x', scopes: [], grantTypes: ['password'] }
   */
  grantTypes?: string[]
  /**
   * The lifetime of this client's tokens in seconds (a positive integer), overriding the server's.
   *
   * @default the server's `tokenLifetime`
   * @example
   * { clientId: 'short', clientSecret: 'x', scopes: [], tokenLifetime: 30 }
   */
  tokenLifetime?: number
  /**
   * The format of this client's access tokens, overriding the server's `tokenFormat`.
   *
   * @default the server's `tokenFormat`
   * @example
   * { clientId: 'jwt-client', clientSecret: 'x', scopes: [], tokenFormat: 'jwt' }
   */
  tokenFormat?: TokenFormat
  /**
   * Whether the client may only get DPoP-bound tokens (RFC 9449 §5.2, the client metadata
   * `dpop_bound_access_tokens`): a token request of this client without a `DPoP` proof is then
   * answered `400 invalid_request` "this client requires DPoP-bound tokens". Without it a client gets
   * a DPoP-bound token when it sends a proof, and a Bearer token when it does not.
   *
   * @default false
   * @example
   * { clientId: 'svc', clientSecret: 'x', scopes: ['api:read'], dpopBoundAccessTokens: true }
   */
  dpopBoundAccessTokens?: boolean
  /**
   * The quirks the token endpoint shows this client, replacing the server's `quirks` (not added to
   * them): `[]` makes the client see a strict server. Applied from the moment the request names
   * this client id, before its secret is checked.
   *
   * @default the server's `quirks`
   * @example
   * { clientId: 'duende-like', clientSecret: 'x', scopes: [], quirks: ['errors-as-400'] }
   */
  quirks?: Quirk[]
}

/** What the server knows about a registered client, secrets excepted. */
export interface RegisteredClient {
  readonly clientId: string
  /** The allowed scopes in registration order, without duplicates. */
  readonly scopes: readonly string[]
  readonly scopeSet: ReadonlySet<string>
  readonly grantTypes: ReadonlySet<string>
  readonly tokenLifetime: number | undefined
  readonly tokenFormat: TokenFormat | undefined
  /** True when its token requests must carry a DPoP proof (RFC 9449 §5.2). */
  readonly dpopBoundAccessTokens: boolean
  /** Its own quirks; `undefined` means the server's. */
  readonly quirks: readonly Quirk[] | undefined
}

interface SecretHash {
  /** The SHA-256 digest, latin1 (see `sha256Digest`). */
  readonly hash: string
  readonly expiresAt: number
}

interface Registration {
  readonly client: RegisteredClient
  readonly secrets: readonly SecretHash[]
  /** `private_key_jwt`: the public keys. */
  readonly keySet: ClientKeySet | undefined
  /** `client_secret_jwt`: the HMAC key. */
  readonly jwtKey: KeyObject | undefined
  /** `tls_client_auth`: the check of its certificate. */
  readonly tlsIdentity: TlsIdentityCheck | undefined
}

// *VSCHAR, non-empty: client_id (App. A.1) and client_secret (App. A.2).
const VSCHARS = /^[\x20-\x7E]+$/

const EMPTY_SECRET_HASH = sha256Digest('')

// Compared against when the client id is unknown, so that case costs the same as a wrong secret.
const DECOY: readonly SecretHash[] = [{ hash: sha256Digest('decoy'), expiresAt: Infinity }]

/**
 * Registered clients, with SHA-256 hashes of their secrets. Registration validates every client and
 * throws a `TypeError` (`ERR_INVALID_ARG_VALUE`) naming the offending option, never its value.
 *
 * @example
 * const registry = new ClientRegistry([{ clientId: 'svc', clientSecret: 's3cr:et%', scopes: ['api:read'] }])
 * registry.authenticate('svc', 's3cr:et%', Date.now())?.scopes // ['api:read']
 */
export class ClientRegistry {
  readonly #clients = new Map<string, Registration>()

  /**
   * @param clients - the clients of `options.clients`.
   * @param fileClients - the clients of `options.clientsFile`, registered after them.
   */
  constructor(clients: readonly ReferenceClient[], fileClients: readonly ReferenceClient[] = []) {
    if (!Array.isArray(clients)) throw invalidArgument('options.clients', 'must be an array of clients')
    this.#registerAll(clients, 'options.clients')
    this.#registerAll(fileClients, 'options.clientsFile: clients')
  }

  #registerAll(clients: readonly ReferenceClient[], name: string): void {
    clients.forEach((client, index) => {
      const registration = register(client, `${name}[${index}]`)
      if (this.#clients.has(registration.client.clientId)) {
        throw invalidArgument(`${name}[${index}].clientId`, 'is registered twice')
      }
      this.#clients.set(registration.client.clientId, registration)
    })
  }

  /**
   * The client with this id, or `undefined`.
   *
   * @example
   * registry.get('svc')?.scopes // ['api:read']
   */
  get(clientId: string): RegisteredClient | undefined {
    return this.#clients.get(clientId)?.client
  }

  /**
   * The public keys that verify the client's `private_key_jwt` assertions; `undefined` for an
   * unknown client or one without `jwks`.
   *
   * @example
   * registry.keySet('svc')?.size // 1
   */
  keySet(clientId: string): ClientKeySet | undefined {
    return this.#clients.get(clientId)?.keySet
  }

  /**
   * The key that verifies the client's `client_secret_jwt` assertions; `undefined` for an unknown
   * client or one without `jwtSecret`. Never log it.
   *
   * @example
   * registry.jwtKey('svc')?.symmetricKeySize // 43
   */
  jwtKey(clientId: string): KeyObject | undefined {
    return this.#clients.get(clientId)?.jwtKey
  }

  /**
   * The check that a certificate is the client's own for `tls_client_auth`; `undefined` for an
   * unknown client or one without `tlsClientAuth`.
   *
   * @example
   * registry.tlsIdentity('svc')?.(peer) // true for its certificate
   */
  tlsIdentity(clientId: string): TlsIdentityCheck | undefined {
    return this.#clients.get(clientId)?.tlsIdentity
  }

  /** How many clients are registered. */
  get size(): number {
    return this.#clients.size
  }

  /**
   * Every scope some client may ask for, without duplicates, in registration order.
   *
   * @example
   * registry.scopes() // ['api:read', 'api:write']
   */
  scopes(): string[] {
    const all = new Set<string>()
    for (const { client } of this.#clients.values()) for (const scope of client.scopes) all.add(scope)
    return [...all]
  }

  /**
   * The client when `secret` matches one of its secrets that has not expired at `now` (epoch ms),
   * otherwise `undefined`. The comparison is constant-time over SHA-256 digests.
   *
   * @example
   * registry.authenticate('svc', 'wrong', Date.now()) // undefined
   */
  authenticate(clientId: string, secret: string, now: number): RegisteredClient | undefined {
    const registration = this.#clients.get(clientId)
    const presented = sha256Digest(secret)
    let match = false
    const secrets = registration === undefined || registration.secrets.length === 0 ? DECOY : registration.secrets
    for (const stored of secrets) {
      // Every secret is compared, expired or not, so timing tells nothing about which one matched.
      const equal = digestsEqual(presented, stored.hash)
      if (equal && stored.expiresAt > now) match = true
    }
    // An empty secret is no secret, whatever a secretHash says (`Basic base64("svc:")`).
    return match && secret !== '' ? registration?.client : undefined
  }

  [inspect.custom](): string {
    return `ClientRegistry { clients: ${inspect([...this.#clients.keys()])} }`
  }

  toJSON(): { clients: string[] } {
    return { clients: [...this.#clients.keys()] }
  }
}

function register(client: ReferenceClient, name: string): Registration {
  if (typeof client !== 'object' || client === null) throw invalidArgument(name, 'must be an object')
  const {
    clientId,
    clientSecret,
    secretHash,
    secrets = [],
    jwks,
    jwtSecret,
    tlsClientAuth,
    scopes,
    grantTypes = ['client_credentials'],
    tokenLifetime,
    tokenFormat,
    dpopBoundAccessTokens = false,
    quirks,
  } = client
  if (typeof clientId !== 'string' || !VSCHARS.test(clientId)) {
    throw invalidArgument(`${name}.clientId`, 'must be a non-empty string of VSCHAR (%x20-7E)')
  }
  const hashes: SecretHash[] = []
  if (clientSecret !== undefined) hashes.push(hashSecret(clientSecret, undefined, `${name}.clientSecret`, ''))
  if (secretHash !== undefined) hashes.push(storedSecret(secretHash, undefined, `${name}.secretHash`, ''))
  if (!Array.isArray(secrets)) throw invalidArgument(`${name}.secrets`, 'must be an array')
  secrets.forEach((entry, index) => {
    const entryName = `${name}.secrets[${index}]`
    if (typeof entry !== 'object' || entry === null) throw invalidArgument(entryName, 'must be an object')
    if ((entry.secret === undefined) === (entry.secretHash === undefined)) {
      throw invalidArgument(entryName, 'needs exactly one of secret and secretHash')
    }
    hashes.push(
      entry.secret !== undefined
        ? hashSecret(entry.secret, entry.expiresAt, `${entryName}.secret`, `${entryName}.expiresAt`)
        : storedSecret(entry.secretHash, entry.expiresAt, `${entryName}.secretHash`, `${entryName}.expiresAt`),
    )
  })
  const keySet = jwks === undefined ? undefined : clientKeySet(jwks, `${name}.jwks`)
  let jwtKey: KeyObject | undefined
  if (jwtSecret !== undefined) {
    if (typeof jwtSecret !== 'string' || !VSCHARS.test(jwtSecret)) {
      throw invalidArgument(`${name}.jwtSecret`, 'must be a non-empty string of VSCHAR (%x20-7E)')
    }
    jwtKey = jwtSecretKey(jwtSecret, `${name}.jwtSecret`)
  }
  const tlsIdentity = tlsClientAuth === undefined ? undefined : tlsIdentityCheck(tlsClientAuth, `${name}.tlsClientAuth`)
  if (hashes.length === 0 && keySet === undefined && jwtKey === undefined && tlsIdentity === undefined) {
    throw invalidArgument(name, 'needs a credential: a clientSecret, a secretHash, an entry in secrets, jwks, a jwtSecret or tlsClientAuth')
  }
  if (!Array.isArray(scopes)) throw invalidArgument(`${name}.scopes`, 'must be an array of scope tokens')
  scopes.forEach((scope, index) => {
    if (typeof scope !== 'string' || !isScopeToken(scope)) {
      throw invalidArgument(`${name}.scopes[${index}]`, 'must be a scope token (NQCHAR: %x21 / %x23-5B / %x5D-7E)')
    }
  })
  if (!Array.isArray(grantTypes) || grantTypes.some((type) => typeof type !== 'string' || type === '')) {
    throw invalidArgument(`${name}.grantTypes`, 'must be an array of non-empty strings')
  }
  if (tokenLifetime !== undefined && !isPositiveInteger(tokenLifetime)) {
    throw invalidArgument(`${name}.tokenLifetime`, 'must be a positive integer number of seconds')
  }
  if (tokenFormat !== undefined && !isTokenFormat(tokenFormat)) {
    throw invalidArgument(`${name}.tokenFormat`, "must be 'opaque' or 'jwt'")
  }
  if (typeof dpopBoundAccessTokens !== 'boolean') throw invalidArgument(`${name}.dpopBoundAccessTokens`, 'must be a boolean')
  const ownQuirks = quirks === undefined ? undefined : checkQuirks(quirks, `${name}.quirks`)
  const scopeSet = new Set(scopes)
  return {
    client: Object.freeze({
      clientId,
      scopes: Object.freeze([...scopeSet]),
      scopeSet,
      grantTypes: new Set(grantTypes),
      tokenLifetime,
      tokenFormat,
      dpopBoundAccessTokens,
      quirks: ownQuirks,
    }),
    secrets: hashes,
    keySet,
    jwtKey,
    tlsIdentity,
  }
}

function hashSecret(secret: unknown, expiresAt: unknown, secretName: string, expiresAtName: string): SecretHash {
  if (typeof secret !== 'string' || !VSCHARS.test(secret)) {
    throw invalidArgument(secretName, 'must be a non-empty string of VSCHAR (%x20-7E)')
  }
  return { hash: sha256Digest(secret), expiresAt: expiryTime(expiresAt, expiresAtName) }
}

function storedSecret(stored: unknown, expiresAt: unknown, storedName: string, expiresAtName: string): SecretHash {
  const digest = typeof stored === 'string' ? parseSecretHash(stored) : undefined
  if (digest === undefined) {
    throw invalidArgument(storedName, 'must be sha256:<base64url of a 32-byte digest> (see generateClientSecret)')
  }
  const hash = digest.toString('latin1')
  if (hash === EMPTY_SECRET_HASH) throw invalidArgument(storedName, 'is the hash of the empty string')
  return { hash, expiresAt: expiryTime(expiresAt, expiresAtName) }
}

function expiryTime(expiresAt: unknown, name: string): number {
  if (expiresAt === undefined) return Infinity
  if (!(expiresAt instanceof Date && Number.isFinite(expiresAt.getTime()))) {
    throw invalidArgument(name, 'must be a valid Date')
  }
  return expiresAt.getTime()
}

/**
 * The refusal of a secret that does not prove the client id, whatever the reason (unknown client,
 * wrong or expired secret, no secret), so the answer tells nobody which client ids exist.
 */
export const AUTHENTICATION_FAILED = new ServerError(401, 'invalid_client', 'client authentication failed')

/**
 * The check `client_secret_basic` and `client_secret_post` share: the registered client when the
 * presented secret is one of its unexpired secrets, by the server's clock; else {@link AUTHENTICATION_FAILED}.
 *
 * @example
 * verifyClientSecret({ clientId: 'svc', credential: 's3cr:et%', endpointUrl }, context) // the client svc
 */
export function verifyClientSecret(
  request: Pick<VerificationRequest, 'clientId' | 'credential'>,
  server: Pick<ServerContext, 'registry' | 'clock'>,
): RegisteredClient | ServerError {
  const { clientId, credential } = request
  const client = credential === undefined ? undefined : server.registry.authenticate(clientId, credential, server.clock.now())
  return client ?? AUTHENTICATION_FAILED
}
