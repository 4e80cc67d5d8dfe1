// Interoperability: the package's TokenClient gets client-credentials tokens from oidc-provider 9,
// a certified OpenID Provider, with client_secret_basic and client_secret_post and a secret full of
// characters that Basic credentials must form-encode (RFC 6749 §2.3.1 / App. B).
//
// The configuration needed (everything else is oidc-provider's default):
// - `features.clientCredentials.enabled: true`;
// - each client registered with `grant_types: ['client_credentials']`, `response_types: []` and
//   `redirect_uris: []` (the defaults, `code` with mandatory redirect URIs, make the client invalid);
// - nothing for scopes: a scope oidc-provider does not know (such as `api:read`) is granted as asked,
//   and without a `resource` parameter resourceIndicators (on by default) leave the token opaque.
//   Here `scopes` lists `api:read` and `api:write` and the clients register `scope: 'api:read'`, so
//   that asking for `api:write` is refused and the test can show it.
// The rest only quiets the quick-start notices: a generated `jwks` (instead of the development
// keys), devInteractions off, `ttl.ClientCredentials` set, and a small in-memory `adapter`.
// oidc-provider 9 still warns "Unsupported runtime" on import under Node 20 (it wants Node 22 LTS);
// that one cannot be configured away.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { OAuthError, TokenClient, type AuthMethod } from '../../src/index.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'
import { startOidcProvider, type OidcProvider, type RunningOidcProvider } from '../helpers/oidc-provider.js'

/** `:` `%` space `+` `&` `=` `/`: each changes under form-encoding, and `% ` is not a valid escape. */
const SECRET = RESERVED_SECRET
/** How TokenClient puts it in Basic credentials: form-encoded, as RFC 6749 §2.3.1 wants. */
const SECRET_FORM_ENCODED = 's3cr%3Aet%25+%2B%26%3D%2Fx'
/** The secret of the brief; `ü` is not VSCHAR (RFC 6749 App. A.2), which oidc-provider enforces. */
const UMLAUT_SECRET = `${SECRET}ü`
const TOKEN_TTL = 600
const TIMEOUT = { timeout: 5_000 }

// ---- The provider -----------------------------------------------------------------------------------

/** What a token request carried, recorded by a middleware in front of oidc-provider. */
interface SeenRequest {
  readonly status: number
  /** The base64-decoded Basic credentials exactly as sent (`id:secret`), if any. */
  readonly basic: string | undefined
  /** Whether the body carried `client_secret`. */
  readonly bodySecret: boolean
}

let oidc: RunningOidcProvider
let provider: OidcProvider
let tokenUrl: string
const seen: SeenRequest[] = []
const clients: TokenClient[] = []

before(async () => {
  const client = (clientId: string, secret: string, authMethod: AuthMethod) => ({
    client_id: clientId,
    client_secret: secret,
    token_endpoint_auth_method: authMethod,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'api:read',
  })
  oidc = await startOidcProvider(
    {
      clients: [
        client('svc-basic', SECRET, 'client_secret_basic'),
        client('svc-post', SECRET, 'client_secret_post'),
        client('umlaut-basic', UMLAUT_SECRET, 'client_secret_basic'),
        client('umlaut-post', UMLAUT_SECRET, 'client_secret_post'),
      ],
      scopes: ['api:read', 'api:write'],
      ttl: { ClientCredentials: TOKEN_TTL },
    },
    (configured) =>
      configured.use(async (ctx, next) => {
        await next()
        if (ctx.path !== '/token') return
        const authorization = ctx.get('authorization')
        seen.push({
          status: ctx.status,
          basic: /^basic /i.test(authorization) ? Buffer.from(authorization.slice(6), 'base64').toString('utf8') : undefined,
          bodySecret: ctx.oidc?.params?.['client_secret'] !== undefined,
        })
      }),
  )
  provider = oidc.provider
  tokenUrl = oidc.tokenUrl
})

after(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await oidc.close()
  assert.deepEqual(oidc.serverErrors, [], 'oidc-provider reported no server_error')
})

function tokenClient(clientId: string, clientSecret: string, authMethod: AuthMethod): TokenClient {
  const client = new TokenClient({ tokenUrl, clientId, clientSecret, authMethod, retry: false })
  clients.push(client)
  return client
}

/** Runs `action` and returns its result (or error) with the one token request it made. */
async function recorded<T>(action: () => Promise<T>): Promise<{ result: T; request: SeenRequest }> {
  const count = seen.length
  const result = await action()
  const requests = seen.slice(count)
  assert.equal(requests.length, 1, 'exactly one token request')
  return { result, request: requests[0] as SeenRequest }
}

function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('expected the token request to fail'),
    (error: unknown) => error,
  )
}

function assertOAuthError(error: unknown, status: number, code: string): void {
  assert.ok(error instanceof OAuthError, `an OAuthError, not ${String(error)}`)
  assert.equal(error.status, status)
  assert.equal(error.error, code)
}

// ---- Tests ------------------------------------------------------------------------------------------

for (const authMethod of ['client_secret_basic', 'client_secret_post'] as const) {
  const clientId = authMethod === 'client_secret_basic' ? 'svc-basic' : 'svc-post'

  test(`${authMethod}: TokenClient gets a token with the reserved-character secret`, TIMEOUT, async () => {
    const client = tokenClient(clientId, SECRET, authMethod)
    const sentAt = Date.now()
    const { result: token, request } = await recorded(() => client.getToken('api:read'))

    assert.equal(token.tokenType, 'Bearer')
    assert.equal(token.scope, 'api:read')
    const lifetime = token.expiresAt.getTime() - sentAt
    assert.ok(lifetime > (TOKEN_TTL - 5) * 1000 && lifetime <= TOKEN_TTL * 1000 + 1000, `lifetime ${lifetime} ms`)

    assert.equal(request.status, 200)
    if (authMethod === 'client_secret_basic') {
      assert.equal(request.basic, `${clientId}:${SECRET_FORM_ENCODED}`, 'Basic credentials form-encoded')
      assert.equal(request.bodySecret, false)
    } else {
      assert.equal(request.basic, undefined)
      assert.equal(request.bodySecret, true)
    }

    // oidc-provider itself knows the token, issued to this client with this scope.
    const stored = await provider.ClientCredentials.find(token.accessToken)
    assert.equal(stored?.kind, 'ClientCredentials')
    assert.equal(stored?.clientId, clientId)
    assert.equal(stored?.scope, 'api:read')
  })
}

test('the cached token is reused: a second getToken makes no request', TIMEOUT, async () => {
  const client = tokenClient('svc-basic', SECRET, 'client_secret_basic')
  const count = seen.length
  const first = await client.getToken('api:read')
  const second = await client.getToken('api:read')
  assert.equal(second.accessToken, first.accessToken)
  assert.equal(seen.length, count + 1)
})

test('a scope the client is not registered for is refused: OAuthError invalid_scope', TIMEOUT, async () => {
  const client = tokenClient('svc-basic', SECRET, 'client_secret_basic')
  const { result: error, request } = await recorded(() => failure(client.getToken('api:write')))
  assertOAuthError(error, 400, 'invalid_scope')
  assert.equal(request.status, 400)
})

test('a wrong secret is refused: OAuthError invalid_client, for Basic and post', TIMEOUT, async () => {
  for (const [clientId, authMethod] of [['svc-basic', 'client_secret_basic'], ['svc-post', 'client_secret_post']] as const) {
    const client = tokenClient(clientId, `${SECRET}x`, authMethod)
    const { result: error } = await recorded(() => failure(client.getToken('api:read')))
    assertOAuthError(error, 401, 'invalid_client')
  }
})

test('the secret of the brief, with ü (not VSCHAR), is refused by oidc-provider either way', TIMEOUT, async () => {
  // Basic: TokenClient sends `%C3%BC`; oidc-provider form-decodes it, finds a character outside
  // VSCHAR and answers 400 invalid_request before it looks the client up.
  const basic = tokenClient('umlaut-basic', UMLAUT_SECRET, 'client_secret_basic')
  const { result: basicError, request } = await recorded(() => failure(basic.getToken('api:read')))
  assertOAuthError(basicError, 400, 'invalid_request')
  assert.equal(request.basic, `umlaut-basic:${SECRET_FORM_ENCODED}%C3%BC`)
  // Post: the secret reaches client lookup, where the registered client itself fails validation
  // (its client_secret is not VSCHAR) and oidc-provider answers 400 invalid_client_metadata.
  const post = tokenClient('umlaut-post', UMLAUT_SECRET, 'client_secret_post')
  const { result: postError } = await recorded(() => failure(post.getToken('api:read')))
  assertOAuthError(postError, 400, 'invalid_client_metadata')
})
