// Interoperability of JWT client authentication (RFC 7523 §2.2, OpenID Connect Core §9): the package's
// TokenClient gets client-credentials tokens from oidc-provider 9 with `private_key_jwt` (ES256, RS256,
// PS256 and EdDSA, the key given as a PEM, a JWK and a KeyObject) and `client_secret_jwt` (HS256).
//
// The provider starts as in oidc-provider.test.ts (test/helpers/oidc-provider.ts; clients with
// `grant_types: ['client_credentials']`, `response_types: []`, `redirect_uris: []`). The `private_key_jwt` clients register `jwks`
// (public JWKs); the `client_secret_jwt` client a 43-character secret (32 random bytes, base64url),
// enough for HS256, whose key is the secret's bytes.
//
// What oidc-provider 9 checks in a client assertion (lib/shared/jwt_client_auth.js): `alg` among
// `enabledJWA.clientAuthSigningAlgValues` (HS256 RS256 PS256 ES256 Ed25519 EdDSA by default), `exp`,
// `jti`, `iss` = the client id, and `aud`, which must be (or, as an array, contain) one of the issuer
// identifier, the token endpoint URL, or the URL of the endpoint being called
// (`clientJwtAuthExpectedAudience()`: issuer, urlFor('token'), urlFor(route)); under FAPI 2.0 only
// the issuer. TokenClient sends the token endpoint URL, which is accepted; the tests below also show
// which other values are. Then the signature, then `ReplayDetection.unique(iss, jti)`: a jti seen
// before (until its exp + clockTolerance) is refused with invalid_client.
//
// oidc-provider answers every client-authentication failure with the same 401
// `invalid_client` / `client authentication failed`; the reason is only in the error's
// `error_detail`, which the tests read from the `grant.error` event.
import assert from 'node:assert/strict'
import { generateKeyPairSync, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { decodeJwt, decodeProtectedHeader, SignJWT, type JWTPayload, type ProtectedHeaderParameters } from 'jose'
import { OAuthError, TokenClient, type TokenClientOptions } from '../../src/index.js'
import { startOidcProvider, type OidcProvider, type RunningOidcProvider } from '../helpers/oidc-provider.js'

const SCOPE = 'api:read'
const TOKEN_TTL = 600
const TIMEOUT = { timeout: 10_000 }
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
/** 32 random bytes, base64url: 43 characters, all VSCHAR; as the HS256 key, 43 bytes (>= 32). */
const JWT_SECRET = randomBytes(32).toString('base64url')

// ---- Keys and clients -------------------------------------------------------------------------------

type Algorithm = 'ES256' | 'RS256' | 'PS256' | 'EdDSA'
type KeyForm = 'PEM' | 'JWK' | 'KeyObject'

interface KeyCase {
  readonly clientId: string
  readonly algorithm: Algorithm
  /** The registered JWK's `kid`, and the one TokenClient is told; none for RS256 and EdDSA. */
  readonly kid: string | undefined
  readonly privateKey: KeyObject
  readonly publicJwk: JsonWebKey
}

function keyCase(clientId: string, algorithm: Algorithm, kid: string | undefined): KeyCase {
  const { privateKey, publicKey } =
    algorithm === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : algorithm === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { clientId, algorithm, kid, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), ...(kid !== undefined && { kid }) } }
}

const KEY_CASES: readonly KeyCase[] = [
  keyCase('pkjwt-es256', 'ES256', 'es-key'),
  keyCase('pkjwt-rs256', 'RS256', undefined),
  keyCase('pkjwt-ps256', 'PS256', 'ps-key'),
  keyCase('pkjwt-eddsa', 'EdDSA', undefined),
]
const ES256 = KEY_CASES[0] as KeyCase

/** The private key as TokenClient's `privateKey` takes it, in each form; a JWK carries its own kid. */
function privateKeyAs(form: KeyForm, key: KeyCase): Pick<TokenClientOptions, 'privateKey' | 'keyId'> {
  const keyId = key.kid === undefined ? {} : { keyId: key.kid }
  switch (form) {
    case 'PEM':
      return { privateKey: key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), ...keyId }
    case 'JWK':
      return { privateKey: { ...key.privateKey.export({ format: 'jwk' }), ...(key.kid !== undefined && { kid: key.kid }) } }
    case 'KeyObject':
      return { privateKey: key.privateKey, ...keyId }
  }
}

// ---- The provider -----------------------------------------------------------------------------------

/** What a token request carried and got, recorded by a middleware in front of oidc-provider. */
interface SeenRequest {
  readonly status: number
  readonly clientId: unknown
  readonly authorization: string
  readonly assertionType: unknown
  /** The client_assertion as sent. */
  readonly assertion: string | undefined
  readonly header: ProtectedHeaderParameters | undefined
  readonly claims: JWTPayload | undefined
  /** oidc-provider's `error_detail` of a refusal (from `grant.error`). */
  readonly detail: string | undefined
}

let oidc: RunningOidcProvider
let provider: OidcProvider
let issuer: string
let tokenUrl: string
const seen: SeenRequest[] = []
const details = new WeakMap<object, string>()
const clients: TokenClient[] = []

before(async () => {
  const registration = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: SCOPE }
  oidc = await startOidcProvider(
    {
      clients: [
        ...KEY_CASES.map((key) => ({
          ...registration,
          client_id: key.clientId,
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: { keys: [key.publicJwk] },
        })),
        { ...registration, client_id: 'csjwt-hs256', client_secret: JWT_SECRET, token_endpoint_auth_method: 'client_secret_jwt' },
      ],
      scopes: [SCOPE, 'api:write'],
      ttl: { ClientCredentials: TOKEN_TTL },
    },
    (configured) => {
      configured.on('grant.error', (ctx, error) => {
        if (error.error_detail !== undefined) details.set(ctx, error.error_detail)
      })
      configured.use(async (ctx, next) => {
        await next()
        if (ctx.path !== '/token') return
        const params = ctx.oidc?.params ?? {}
        const assertion = typeof params['client_assertion'] === 'string' ? params['client_assertion'] : undefined
        seen.push({
          status: ctx.status,
          clientId: params['client_id'],
          authorization: ctx.get('authorization'),
          assertionType: params['client_assertion_type'],
          assertion,
          header: assertion === undefined ? undefined : decodeProtectedHeader(assertion),
          claims: assertion === undefined ? undefined : decodeJwt(assertion),
          detail: details.get(ctx),
        })
      })
    },
  )
  provider = oidc.provider
  issuer = oidc.issuer
  tokenUrl = oidc.tokenUrl
})

after(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await oidc.close()
  assert.deepEqual(oidc.serverErrors, [], 'oidc-provider reported no server_error')
})

function tokenClient(options: Omit<TokenClientOptions, 'tokenUrl' | 'retry'>): TokenClient {
  const client = new TokenClient({ tokenUrl, retry: false, ...options })
  clients.push(client)
  return client
}

/** Runs `action` and returns its result (or error) with the token requests it made. */
async function recorded<T>(action: () => Promise<T>, expected = 1): Promise<{ result: T; requests: SeenRequest[] }> {
  const count = seen.length
  const result = await action()
  const requests = seen.slice(count)
  assert.equal(requests.length, expected, `exactly ${expected} token request(s)`)
  return { result, requests }
}

function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('expected the token request to fail'),
    (error: unknown) => error,
  )
}

function assertInvalidClient(error: unknown): void {
  assert.ok(error instanceof OAuthError, `an OAuthError, not ${String(error)}`)
  assert.equal(error.code, 'OAUTH_ERROR')
  assert.equal(error.status, 401)
  assert.equal(error.error, 'invalid_client')
  assert.equal(error.errorDescription, 'client authentication failed')
}

/** What every assertion TokenClient sends looks like, as oidc-provider received it. */
function assertAssertion(request: SeenRequest, clientId: string, alg: string, kid: string | undefined): void {
  assert.equal(request.authorization, '', 'no Authorization header')
  assert.equal(request.clientId, clientId, 'client_id in the body too')
  assert.equal(request.assertionType, ASSERTION_TYPE)
  assert.deepEqual(request.header, { alg, typ: 'JWT', ...(kid !== undefined && { kid }) })
  const claims = request.claims as JWTPayload
  assert.equal(claims.iss, clientId)
  assert.equal(claims.sub, clientId)
  assert.equal(claims.aud, tokenUrl, 'aud: the token endpoint URL')
  assert.equal(typeof claims.jti, 'string')
  assert.equal((claims.exp as number) - (claims.iat as number), 60)
}

/** A token request made by hand, with an assertion of the test's own making. */
async function postAssertion(clientId: string, assertion: string): Promise<{ status: number; body: Record<string, unknown>; request: SeenRequest }> {
  const { result, requests } = await recorded(async () => {
    const response = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: assertion,
        scope: SCOPE,
      }),
      signal: AbortSignal.timeout(5_000),
    })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  })
  return { ...result, request: requests[0] as SeenRequest }
}

function signAssertion(key: KeyCase, aud: string | string[]): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({})
    .setProtectedHeader({ alg: key.algorithm, ...(key.kid !== undefined && { kid: key.kid }) })
    .setIssuer(key.clientId)
    .setSubject(key.clientId)
    .setAudience(aud)
    .setJti(crypto.randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(key.privateKey)
}

// ---- Tests ------------------------------------------------------------------------------------------

describe('private_key_jwt with oidc-provider 9', () => {
  for (const key of KEY_CASES) {
    for (const form of ['PEM', 'JWK', 'KeyObject'] as const) {
      test(`${key.algorithm}, key as ${form}${key.kid === undefined ? '' : `, kid ${key.kid}`}: a token is issued`, TIMEOUT, async () => {
        const client = tokenClient({
          clientId: key.clientId,
          authMethod: 'private_key_jwt',
          ...privateKeyAs(form, key),
          ...(key.algorithm === 'PS256' && { signingAlgorithm: 'PS256' }),
        })
        const sentAt = Date.now()
        const { result: token, requests } = await recorded(() => client.getToken(SCOPE))
        const request = requests[0] as SeenRequest
        assert.equal(request.status, 200, `oidc-provider: ${request.detail ?? ''}`)
        assertAssertion(request, key.clientId, key.algorithm, key.kid)

        assert.equal(token.tokenType, 'Bearer')
        assert.equal(token.scope, SCOPE)
        const lifetime = token.expiresAt.getTime() - sentAt
        assert.ok(lifetime > (TOKEN_TTL - 5) * 1000 && lifetime <= TOKEN_TTL * 1000 + 1000, `lifetime ${lifetime} ms`)
        const stored = await provider.ClientCredentials.find(token.accessToken)
        assert.equal(stored?.kind, 'ClientCredentials')
        assert.equal(stored?.clientId, key.clientId)
        assert.equal(stored?.scope, SCOPE)
      })
    }
  }

  test("Ed25519 (signingAlgorithm 'Ed25519', RFC 9864's name) is accepted too", TIMEOUT, async () => {
    const key = KEY_CASES[3] as KeyCase
    const client = tokenClient({ clientId: key.clientId, authMethod: 'private_key_jwt', privateKey: key.privateKey, signingAlgorithm: 'Ed25519' })
    const { result: token, requests } = await recorded(() => client.getToken(SCOPE))
    const request = requests[0] as SeenRequest
    assert.equal(request.status, 200, `oidc-provider: ${request.detail ?? ''}`)
    assertAssertion(request, key.clientId, 'Ed25519', undefined)
    assert.equal((await provider.ClientCredentials.find(token.accessToken))?.clientId, key.clientId)
  })

  test('the cache serves a second getToken; forceRefresh makes a new assertion, which is accepted', TIMEOUT, async () => {
    const client = tokenClient({ clientId: ES256.clientId, authMethod: 'private_key_jwt', ...privateKeyAs('KeyObject', ES256) })
    const { result: first, requests: [firstRequest] } = await recorded(() => client.getToken(SCOPE))
    const { result: cached } = await recorded(() => client.getToken(SCOPE), 0)
    assert.equal(cached.accessToken, first.accessToken)

    const { result: refreshed, requests: [refreshRequest] } = await recorded(() => client.getToken(SCOPE, { forceRefresh: true }))
    assert.equal(refreshRequest?.status, 200, `oidc-provider: ${refreshRequest?.detail ?? ''}`)
    assert.notEqual(refreshRequest?.claims?.jti, firstRequest?.claims?.jti, 'a new jti')
    assert.notEqual(refreshRequest?.assertion, firstRequest?.assertion)
    assert.notEqual(refreshed.accessToken, first.accessToken)
    assert.equal((await provider.ClientCredentials.find(refreshed.accessToken))?.clientId, ES256.clientId)

    // The replay detection that a reused assertion would have met: the first one, sent again, is refused.
    const replay = await postAssertion(ES256.clientId, firstRequest?.assertion as string)
    assert.equal(replay.status, 401)
    assert.deepEqual(replay.body, { error: 'invalid_client', error_description: 'client authentication failed' })
    assert.equal(replay.request.detail, 'client assertion tokens must only be used once')
  })

  test('a key oidc-provider does not know (same alg and kid): OAUTH_ERROR invalid_client', TIMEOUT, async () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    const client = tokenClient({ clientId: ES256.clientId, authMethod: 'private_key_jwt', privateKey: stranger, keyId: 'es-key' })
    const { result: error, requests } = await recorded(() => failure(client.getToken(SCOPE)))
    assertInvalidClient(error)
    assert.equal(requests[0]?.status, 401)
    assert.equal(requests[0]?.detail, 'signature verification failed')
  })

  test('a key of another type than the registered one (RSA for the ES256 client): invalid_client', TIMEOUT, async () => {
    const rsa = (KEY_CASES[1] as KeyCase).privateKey
    const client = tokenClient({ clientId: ES256.clientId, authMethod: 'private_key_jwt', privateKey: rsa, keyId: 'es-key' })
    const { result: error, requests } = await recorded(() => failure(client.getToken(SCOPE)))
    assertInvalidClient(error)
    assert.equal(requests[0]?.status, 401)
    assert.equal(requests[0]?.detail, 'no applicable key found in the JSON Web Key Set')
  })
})

describe('client_secret_jwt with oidc-provider 9', () => {
  test('HS256 with the registered secret: a token is issued, cached, and force-refreshed', TIMEOUT, async () => {
    const client = tokenClient({ clientId: 'csjwt-hs256', clientSecret: JWT_SECRET, authMethod: 'client_secret_jwt' })
    const { result: first, requests: [request] } = await recorded(() => client.getToken(SCOPE))
    assert.equal(request?.status, 200, `oidc-provider: ${request?.detail ?? ''}`)
    assertAssertion(request as SeenRequest, 'csjwt-hs256', 'HS256', undefined)
    assert.equal(first.scope, SCOPE)
    assert.equal((await provider.ClientCredentials.find(first.accessToken))?.clientId, 'csjwt-hs256')

    await recorded(() => client.getToken(SCOPE), 0)
    const { result: refreshed, requests: [refreshRequest] } = await recorded(() => client.getToken(SCOPE, { forceRefresh: true }))
    assert.equal(refreshRequest?.status, 200, `oidc-provider: ${refreshRequest?.detail ?? ''}`)
    assert.notEqual(refreshRequest?.claims?.jti, request?.claims?.jti)
    assert.notEqual(refreshed.accessToken, first.accessToken)

    const replay = await postAssertion('csjwt-hs256', request?.assertion as string)
    assert.equal(replay.status, 401)
    assert.equal(replay.request.detail, 'client assertion tokens must only be used once')
  })

  test('a wrong secret: OAUTH_ERROR invalid_client', TIMEOUT, async () => {
    const client = tokenClient({ clientId: 'csjwt-hs256', clientSecret: randomBytes(32).toString('base64url'), authMethod: 'client_secret_jwt' })
    const { result: error, requests } = await recorded(() => failure(client.getToken(SCOPE)))
    assertInvalidClient(error)
    assert.equal(requests[0]?.detail, 'signature verification failed')
  })
})

describe('the aud oidc-provider 9 accepts in a client assertion', () => {
  // Assertions signed here with jose, the ES256 client's key, each with a fresh jti.
  const accepted: [string, () => string | string[]][] = [
    ['the token endpoint URL (what TokenClient sends)', () => tokenUrl],
    ['the issuer identifier', () => issuer],
    ['an array holding the issuer among others', () => ['https://elsewhere.example', issuer]],
  ]
  for (const [what, aud] of accepted) {
    test(`accepted: ${what}`, TIMEOUT, async () => {
      const { status, body, request } = await postAssertion(ES256.clientId, await signAssertion(ES256, aud()))
      assert.equal(status, 200, `oidc-provider: ${request.detail ?? JSON.stringify(body)}`)
      assert.equal(typeof body['access_token'], 'string')
    })
  }

  const refused: [string, () => string | string[]][] = [
    ['the issuer with a trailing slash', () => `${issuer}/`],
    ['the token endpoint URL with a trailing slash', () => `${tokenUrl}/`],
    ['another server', () => 'https://elsewhere.example/token'],
  ]
  for (const [what, aud] of refused) {
    test(`refused: ${what}`, TIMEOUT, async () => {
      const { status, body, request } = await postAssertion(ES256.clientId, await signAssertion(ES256, aud()))
      assert.equal(status, 401)
      assert.equal(body['error'], 'invalid_client')
      assert.equal(request.detail, 'audience (aud) must equal the endpoint url, issuer identifier or token endpoint url')
    })
  }
})
