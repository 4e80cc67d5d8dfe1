// Interoperability: other OAuth client libraries get tokens from the reference server, with a secret
// full of characters that RFC 6749 §2.3.1 / App. B require to be form-encoded in Basic credentials.
//
// What each library does with those characters in `client_secret_basic` (observed here, see the tests):
// - oauth4webapi 3 (`ClientSecretBasic`): form-encodes id and secret before base64
//   (encodeURIComponent, space as `+`, and also `- _ . ! ~ * ' ( )` percent-encoded), so even a
//   secret like `plain-secret_v1.0` arrives changed by encoding; the server decodes it fine.
// - openid-client 6: delegates to oauth4webapi, so the same. Its `Configuration` picks
//   `client_secret_post` when given only a secret string; Basic needs `ClientSecretBasic()`.
// - simple-oauth2 5 (`authorizationMethod: 'header'`): form-encodes by default
//   (`credentialsEncodingMode: 'strict'`). With `credentialsEncodingMode: 'loose'` it sends the raw
//   secret (RFC 7617 style): `% ` is then a malformed escape and the server refuses the request
//   with 400 invalid_request; a secret of plain characters still works that way.
// - All three send `client_id` and `client_secret` as ordinary form parameters with client_secret_post.
// - oauth4webapi and openid-client lowercase `token_type` (the server sends `Bearer`); simple-oauth2
//   passes the server's value through.
//
// The secret of the brief was `s3cr:et% +&=/ü`, but `ü` is not VSCHAR (RFC 6749 App. A.2) and the
// reference server refuses to register it (first test); the interop secret is the same without `ü`.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import * as oauth from 'oauth4webapi'
import * as openid from 'openid-client'
import { ClientCredentials } from 'simple-oauth2'
import { startReferenceServer, type ReferenceServer, type RequestLogEntry } from '../../src/server/index.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'

/** `:` `%` space `+` `&` `=` `/`: each changes under form-encoding, and `% ` is not a valid escape. */
/** Nothing that URLSearchParams or encodeURIComponent would change. */
const PLAIN_SECRET = 'plainsecret0123'
/** Characters encodeURIComponent leaves alone but oauth4webapi percent-encodes anyway. */
const DASHED_SECRET = 'plain-secret_v1.0'
const SCOPE = 'api:read'
const SCOPES = ['api:read', 'api:write']
const TIMEOUT = { timeout: 5_000 }

let server: ReferenceServer
before(async () => {
  server = await startReferenceServer({
    clients: [
      { clientId: 'oauth4webapi', clientSecret: RESERVED_SECRET, scopes: SCOPES },
      { clientId: 'oauth4webapidashed', clientSecret: DASHED_SECRET, scopes: SCOPES },
      { clientId: 'openid-client', clientSecret: RESERVED_SECRET, scopes: SCOPES },
      { clientId: 'simple-oauth2', clientSecret: RESERVED_SECRET, scopes: SCOPES },
      { clientId: 'simpleoauth2plain', clientSecret: PLAIN_SECRET, scopes: SCOPES },
    ],
    throttle: false,
  })
})
after(() => server.close())

/** Runs `action` and returns its result with the one token request it made, as the server logged it. */
async function logged<T>(action: () => Promise<T>): Promise<{ result: T; entry: RequestLogEntry }> {
  const seen = server.log.tokenRequests().length
  const result = await action()
  const entries = server.log.tokenRequests().slice(seen)
  assert.equal(entries.length, 1, 'exactly one token request')
  return { result, entry: entries[0] as RequestLogEntry }
}

/** Like {@link logged} for an action that must fail: the error and the one request it made. */
async function loggedFailure(action: () => Promise<unknown>): Promise<{ error: unknown; entry: RequestLogEntry }> {
  const { result, entry } = await logged(() =>
    action().then(
      () => assert.fail('expected the token request to fail'),
      (error: unknown) => error,
    ),
  )
  return { error: result, entry }
}

function assertBasic(entry: RequestLogEntry, clientId: string, formEncoded: boolean): void {
  assert.equal(entry.status, 200)
  assert.equal(entry.authMethod, 'client_secret_basic')
  assert.equal(entry.basicFormEncoded, formEncoded)
  assert.equal(entry.clientId, clientId)
  assert.equal(entry.params['client_id'], undefined, 'no client_id in the body with Basic')
  assert.deepEqual(entry.params['grant_type'], ['client_credentials'])
  assert.deepEqual(entry.params['scope'], [SCOPE])
}

function assertPost(entry: RequestLogEntry, clientId: string): void {
  assert.equal(entry.status, 200)
  assert.equal(entry.authMethod, 'client_secret_post')
  assert.equal(entry.basicFormEncoded, undefined)
  assert.equal(entry.clientId, clientId)
  assert.deepEqual(entry.params['client_id'], [clientId])
  assert.deepEqual(entry.params['grant_type'], ['client_credentials'])
  assert.deepEqual(entry.params['scope'], [SCOPE])
}

test('the secret of the brief, with ü, is not VSCHAR: the reference server refuses to register it', TIMEOUT, async () => {
  await assert.rejects(
    startReferenceServer({ clients: [{ clientId: 'umlaut', clientSecret: `${RESERVED_SECRET}ü`, scopes: SCOPES }] }),
    (error: unknown) => error instanceof TypeError && (error as NodeJS.ErrnoException).code === 'ERR_INVALID_ARG_VALUE',
  )
})

describe('oauth4webapi 3', () => {
  const as = (): oauth.AuthorizationServer => ({ issuer: server.issuer, token_endpoint: server.tokenUrl })
  const options = { [oauth.allowInsecureRequests]: true } // plain http on loopback

  async function grant(clientId: string, auth: oauth.ClientAuth) {
    const client: oauth.Client = { client_id: clientId }
    const response = await oauth.clientCredentialsGrantRequest(as(), client, auth, new URLSearchParams({ scope: SCOPE }), options)
    return oauth.processClientCredentialsResponse(as(), client, response)
  }

  test('ClientSecretBasic form-encodes the reserved secret, and the server accepts it', TIMEOUT, async () => {
    const { result, entry } = await logged(() => grant('oauth4webapi', oauth.ClientSecretBasic(RESERVED_SECRET)))
    assert.equal(result.token_type, 'bearer') // lowercased by oauth4webapi; the server sent "Bearer"
    assert.equal(result.scope, SCOPE)
    assert.ok(result.access_token.length > 20)
    assertBasic(entry, 'oauth4webapi', true)
  })

  test('ClientSecretBasic percent-encodes even - _ . of a plain-looking secret', TIMEOUT, async () => {
    const { result, entry } = await logged(() => grant('oauth4webapidashed', oauth.ClientSecretBasic(DASHED_SECRET)))
    assert.equal(result.scope, SCOPE)
    // The id has no such character, so the secret alone changed on decoding.
    assertBasic(entry, 'oauth4webapidashed', true)
  })

  test('ClientSecretPost sends the reserved secret in the body', TIMEOUT, async () => {
    const { result, entry } = await logged(() => grant('oauth4webapi', oauth.ClientSecretPost(RESERVED_SECRET)))
    assert.equal(result.token_type, 'bearer')
    assert.equal(result.scope, SCOPE)
    assertPost(entry, 'oauth4webapi')
  })
})

describe('openid-client 6', () => {
  function configuration(auth?: openid.ClientAuth): openid.Configuration {
    // Built by hand, so this works whether or not the server publishes metadata; discovery() has its own test.
    const metadata: openid.ServerMetadata = { issuer: server.issuer, token_endpoint: server.tokenUrl }
    const config = new openid.Configuration(metadata, 'openid-client', RESERVED_SECRET, auth)
    openid.allowInsecureRequests(config) // plain http on loopback
    return config
  }

  test('ClientSecretBasic form-encodes the reserved secret, and the server accepts it', TIMEOUT, async () => {
    const config = configuration(openid.ClientSecretBasic())
    const { result, entry } = await logged(() => openid.clientCredentialsGrant(config, { scope: SCOPE }))
    assert.equal(result.token_type, 'bearer') // lowercased (oauth4webapi underneath)
    assert.equal(result.scope, SCOPE)
    assert.ok((result.expiresIn() ?? 0) > 0)
    assertBasic(entry, 'openid-client', true)
  })

  test('ClientSecretPost sends the reserved secret in the body', TIMEOUT, async () => {
    const config = configuration(openid.ClientSecretPost())
    const { result, entry } = await logged(() => openid.clientCredentialsGrant(config, { scope: SCOPE }))
    assert.equal(result.token_type, 'bearer')
    assert.equal(result.scope, SCOPE)
    assertPost(entry, 'openid-client')
  })

  test('without a ClientAuth, a Configuration given a secret uses client_secret_post', TIMEOUT, async () => {
    const { result, entry } = await logged(() => openid.clientCredentialsGrant(configuration(), { scope: SCOPE }))
    assert.equal(result.scope, SCOPE)
    assertPost(entry, 'openid-client')
  })

  test('discovery() with RFC 8414 metadata, when the server publishes it', TIMEOUT, async (t) => {
    const probe = await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)
    await probe.body?.cancel()
    if (probe.status === 404) {
      t.skip('the reference server serves no /.well-known/oauth-authorization-server')
      return
    }
    assert.equal(probe.status, 200)
    const config = await openid.discovery(
      new URL(server.issuer),
      'openid-client',
      RESERVED_SECRET,
      openid.ClientSecretBasic(),
      { algorithm: 'oauth2', execute: [openid.allowInsecureRequests] },
    )
    assert.equal(config.serverMetadata().token_endpoint, server.tokenUrl)
    const { result, entry } = await logged(() => openid.clientCredentialsGrant(config, { scope: SCOPE }))
    assert.equal(result.scope, SCOPE)
    assertBasic(entry, 'openid-client', true)
  })
})

describe('simple-oauth2 5', () => {
  type Options = NonNullable<ConstructorParameters<typeof ClientCredentials>[0]['options']>

  function clientCredentials(id: string, secret: string, options: Options): ClientCredentials {
    return new ClientCredentials({
      client: { id, secret },
      auth: { tokenHost: server.issuer, tokenPath: '/token' },
      options,
    })
  }

  test("authorizationMethod 'header' form-encodes the reserved secret (credentialsEncodingMode strict, the default)", TIMEOUT, async () => {
    const client = clientCredentials('simple-oauth2', RESERVED_SECRET, { authorizationMethod: 'header' })
    const { result, entry } = await logged(() => client.getToken({ scope: SCOPE }))
    assert.equal(result.token['token_type'], 'Bearer')
    assert.equal(result.token['scope'], SCOPE)
    assert.equal(result.expired(), false)
    assertBasic(entry, 'simple-oauth2', true)
  })

  test("authorizationMethod 'body' sends the reserved secret in the body", TIMEOUT, async () => {
    const client = clientCredentials('simple-oauth2', RESERVED_SECRET, { authorizationMethod: 'body' })
    const { result, entry } = await logged(() => client.getToken({ scope: SCOPE }))
    assert.equal(result.token['token_type'], 'Bearer')
    assert.equal(result.token['scope'], SCOPE)
    assertPost(entry, 'simple-oauth2')
  })

  test("credentialsEncodingMode 'loose' sends the reserved secret un-encoded: refused, 400 invalid_request", TIMEOUT, async () => {
    // Raw `s3cr:et% +&=/` in Basic: the server form-decodes it (RFC 6749 §2.3.1) and `% ` is a malformed escape.
    const client = clientCredentials('simple-oauth2', RESERVED_SECRET, { authorizationMethod: 'header', credentialsEncodingMode: 'loose' })
    const { error, entry } = await loggedFailure(() => client.getToken({ scope: SCOPE }))
    const boom = error as { output?: { statusCode?: number }; data?: { payload?: { error?: string } } }
    assert.equal(boom.output?.statusCode, 400)
    assert.equal(boom.data?.payload?.error, 'invalid_request')
    assert.equal(entry.status, 400)
    assert.equal(entry.error, 'invalid_request')
    assert.equal(entry.authMethod, 'client_secret_basic')
  })

  test("credentialsEncodingMode 'loose' works with a secret of plain characters", TIMEOUT, async () => {
    const client = clientCredentials('simpleoauth2plain', PLAIN_SECRET, { authorizationMethod: 'header', credentialsEncodingMode: 'loose' })
    const { result, entry } = await logged(() => client.getToken({ scope: SCOPE }))
    assert.equal(result.token['token_type'], 'Bearer')
    assert.equal(result.token['scope'], SCOPE)
    assertBasic(entry, 'simpleoauth2plain', false)
  })
})
