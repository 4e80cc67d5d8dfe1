import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { OAuthError } from '../../src/index.js'
import { CLIENT_ID, startFixture, type Fixture } from '../helpers/fixtures.js'
import { PLAIN_SECRET, RESERVED_SECRET, SPACE_PLUS_SECRET } from '../helpers/secrets.js'

let f: Fixture
before(async () => {
  f = await startFixture()
})
after(() => f.close())

test('client_secret_basic (the default) with a secret full of reserved characters gets a token', async () => {
  const client = f.makeClient()
  const token = await client.getToken('api:read')
  assert.equal(token.tokenType, 'Bearer')
  assert.equal(token.scope, 'api:read')
  assert.ok(token.accessToken.length >= 22)
  const [entry] = f.server.log.tokenRequests({ clientId: CLIENT_ID }).slice(-1)
  assert.equal(entry?.authMethod, 'client_secret_basic')
  assert.equal(entry?.basicFormEncoded, true)
  assert.deepEqual(entry?.params.grant_type, ['client_credentials'])
  assert.deepEqual(entry?.params.scope, ['api:read'])
  assert.equal(JSON.stringify(entry).includes(RESERVED_SECRET), false)
})

test('client_secret_post with the same secret gets a token, and the log never holds the secret', async () => {
  const client = f.makeClient({ authMethod: 'client_secret_post' })
  const token = await client.getToken(['api:write', 'api:read'])
  assert.equal(token.scope, 'api:read api:write')
  const [entry] = f.server.log.tokenRequests({ clientId: CLIENT_ID }).slice(-1)
  assert.equal(entry?.authMethod, 'client_secret_post')
  assert.deepEqual(entry?.params.client_id, [CLIENT_ID])
  assert.equal(entry?.params.client_secret, undefined)
})

test('no scope asks for none (the server grants its default); the client default scope is used when set', async () => {
  const bare = await f.makeClient().getToken()
  assert.equal(bare.scope, 'api:read api:write audit')
  const withDefault = await f.makeClient({ scope: 'audit' }).getToken()
  assert.equal(withDefault.scope, 'audit')
  assert.deepEqual(f.server.log.tokenRequests().at(-1)?.params.scope, ['audit'])
})

test('raw Basic credentials to a decoding server: invalid_client whose message names the encoding options', async () => {
  const client = f.makeClient({ clientId: 'plain', clientSecret: SPACE_PLUS_SECRET, basicEncoding: 'raw' })
  await assert.rejects(client.getToken('audit'), (error: unknown) => {
    assert.ok(error instanceof OAuthError)
    assert.equal(error.error, 'invalid_client')
    assert.equal(error.status, 401)
    assert.match(error.message, /basicEncoding: 'form'/)
    assert.match(error.message, /client_secret_post/)
    assert.equal(error.message.includes(SPACE_PLUS_SECRET), false)
    assert.equal(error.attempts, 1, 'an OAuth error is not retried')
    return true
  })
  const fixed = f.makeClient({ clientId: 'plain', clientSecret: SPACE_PLUS_SECRET })
  assert.equal((await fixed.getToken('audit')).scope, 'audit')
})

test('a wrong secret with reserved characters: invalid_client hints at raw encoding; a plain wrong secret does not', async () => {
  await assert.rejects(f.makeClient({ clientSecret: 'wrong:secret' }).getToken('audit'), (error: unknown) => {
    assert.ok(error instanceof OAuthError && error.error === 'invalid_client')
    assert.match(error.message, /basicEncoding: 'raw'/)
    return true
  })
  await assert.rejects(f.makeClient({ clientSecret: 'wrongsecret' }).getToken('audit'), (error: unknown) => {
    assert.ok(error instanceof OAuthError && error.error === 'invalid_client')
    assert.doesNotMatch(error.message, /basicEncoding/)
    return true
  })
})

test('a client not allowed client_credentials gets unauthorized_client, and an unknown scope invalid_scope', async () => {
  await assert.rejects(
    f.makeClient({ clientId: 'no-cc', clientSecret: PLAIN_SECRET }).getToken('audit'),
    (error: unknown) => error instanceof OAuthError && error.error === 'unauthorized_client' && error.status === 400,
  )
  await assert.rejects(
    f.makeClient().getToken('admin'),
    (error: unknown) => error instanceof OAuthError && error.error === 'invalid_scope' && error.attempts === 1,
  )
})
