// Checklist item 31: token revocation (RFC 7009).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { SECRET, basic, fetchToken, postForm } from './helpers.js'

const asSvc = basic('svc', SECRET)
const asOther = basic('other', 'other-secret')

describe('31: revocation', () => {
  let server: ReferenceServer
  const revoke = (token: string, authorization = asSvc) => postForm(server.revocationUrl, { token }, { authorization })
  const active = async (token: string) =>
    (await postForm(server.introspectionUrl, { token }, { authorization: asSvc })).json['active']
  const resourceStatus = async (token: string) =>
    (await fetch(server.resourceUrl, { headers: { authorization: `Bearer ${token}` } })).status

  before(async () => {
    server = await startReferenceServer({
      clients: [
        { clientId: 'svc', clientSecret: SECRET, scopes: ['api:read'] },
        { clientId: 'other', clientSecret: 'other-secret', scopes: ['api:read'] },
        { clientId: 'jwt', clientSecret: 'jwt-secret', scopes: ['api:read'], tokenFormat: 'jwt' },
      ],
    })
  })
  after(() => server.close())

  test('31: a revoked token is 200 with an empty body; then introspection says inactive and the resource refuses it', async () => {
    const token = await fetchToken(server.tokenUrl, asSvc)
    assert.equal(await active(token), true)
    assert.equal(await resourceStatus(token), 200)
    const response = await revoke(token)
    assert.equal(response.status, 200)
    assert.equal(response.text, '')
    assert.equal(response.headers.get('cache-control'), 'no-store')
    assert.equal(response.headers.get('pragma'), 'no-cache')
    assert.equal(await active(token), false)
    assert.equal(await resourceStatus(token), 401)
    assert.equal((await revoke(token)).status, 200, 'revoking twice is fine')
  })

  test('31: JWT access tokens can be revoked too', async () => {
    const token = await fetchToken(server.tokenUrl, basic('jwt', 'jwt-secret'))
    assert.equal((await revoke(token, basic('jwt', 'jwt-secret'))).status, 200)
    assert.equal(await active(token), false)
    assert.equal(await resourceStatus(token), 401)
  })

  test('31: an unknown token is 200 too', async () => {
    const response = await revoke('no-such-token')
    assert.equal(response.status, 200)
    assert.equal(response.text, '')
  })

  test("31: another client's token is answered 200 and left active", async () => {
    const token = await fetchToken(server.tokenUrl, asSvc)
    const response = await revoke(token, asOther)
    assert.equal(response.status, 200)
    assert.equal(response.text, '')
    assert.equal(await active(token), true)
    assert.equal(await resourceStatus(token), 200)
  })

  test('31: the caller must authenticate; the token parameter is required; token_type_hint is ignored', async () => {
    const token = await fetchToken(server.tokenUrl, asSvc)
    for (const options of [{}, { authorization: basic('svc', 'wrong') }]) {
      const response = await postForm(server.revocationUrl, { token }, options)
      assert.equal(response.status, 401)
      assert.equal(response.json['error'], 'invalid_client')
    }
    assert.equal(await active(token), true)
    const missing = await postForm(server.revocationUrl, { token_type_hint: 'access_token' }, { authorization: asSvc })
    assert.equal(missing.status, 400)
    assert.equal(missing.json['error'], 'invalid_request')
    const hinted = await postForm(server.revocationUrl, { token, token_type_hint: 'refresh_token' }, { authorization: asSvc })
    assert.equal(hinted.status, 200)
    assert.equal(await active(token), false)
    assert.equal((await fetch(server.revocationUrl)).status, 405)
  })

  test('31: client_secret_post works, and the token is never logged', async () => {
    const token = await fetchToken(server.tokenUrl, asSvc)
    server.log.clear()
    const response = await postForm(server.revocationUrl, { token, client_id: 'svc', client_secret: SECRET })
    assert.equal(response.status, 200)
    assert.equal(await active(token), false)
    const [entry] = server.log.filter({ path: '/revoke' })
    assert.equal(entry?.authMethod, 'client_secret_post')
    assert.equal(entry?.clientId, 'svc')
    assert.deepEqual(entry?.params, { client_id: ['svc'] })
    assert.ok(!JSON.stringify(server.log).includes(token))
  })
})
