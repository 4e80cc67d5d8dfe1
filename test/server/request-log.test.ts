// The request log: what it records, its filters, its limit, and that no secret ever reaches it.
import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import { inspect } from 'node:util'
import { formEncode } from '../../src/auth/form-encoding.js'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { SECRET, basic, postToken, rawBasic } from './helpers.js'

const GRANT = { grant_type: 'client_credentials' }

describe('request log', () => {
  let server: ReferenceServer
  before(async () => {
    server = await startReferenceServer({
      throttle: false,
      clients: [
        { clientId: 'svc', clientSecret: SECRET, scopes: ['api:read', 'api:write'] },
        { clientId: 'other', clientSecret: 'other-secret-value', scopes: ['api:read'] },
      ],
    })
  })
  after(() => server.close())
  beforeEach(() => server.log.clear())

  test('records every request; tokenRequests() only the token endpoint', async () => {
    await postToken(server.tokenUrl, { ...GRANT, scope: 'api:read' }, { authorization: basic('svc', SECRET) })
    await fetch(new URL('/.well-known/oauth-authorization-server', server.url))
    await fetch(server.tokenUrl)
    await postToken(server.tokenUrl, GRANT, { authorization: basic('other', 'other-secret-value') })
    assert.equal(server.log.entries.length, 4)
    assert.deepEqual(
      server.log.entries.map((entry) => [entry.method, entry.path, entry.status]),
      [
        ['POST', '/token', 200],
        ['GET', '/.well-known/oauth-authorization-server', 200],
        ['GET', '/token', 405],
        ['POST', '/token', 200],
      ],
    )
    assert.equal(server.log.tokenRequests().length, 3)
    assert.equal(server.log.tokenRequests({ clientId: 'svc' }).length, 1)
    assert.equal(server.log.tokenRequests({ scope: 'api:read' }).length, 1)
    assert.equal(server.log.tokenRequests({ clientId: 'other', scope: 'api:read' }).length, 0)
    server.log.clear()
    assert.equal(server.log.entries.length, 0)
  })

  test('an entry holds the claimed client, the method, the params without client_secret, the error', async () => {
    const before = Date.now()
    await postToken(server.tokenUrl, { ...GRANT, client_id: 'svc', client_secret: 'wrong', scope: '', extra: 'a b' })
    const [entry] = server.log.tokenRequests()
    assert.ok(entry)
    assert.ok(entry.at >= before - 1000 && entry.at <= Date.now() + 1000)
    assert.deepEqual(entry, {
      at: entry.at,
      method: 'POST',
      path: '/token',
      status: 401,
      authMethod: 'client_secret_post',
      clientId: 'svc',
      params: { grant_type: ['client_credentials'], client_id: ['svc'], scope: [''], extra: ['a b'] },
      error: 'invalid_client',
    })
  })

  test('basicFormEncoded tells whether form-decoding changed the Basic credentials', async () => {
    await postToken(server.tokenUrl, GRANT, { authorization: basic('svc', SECRET) })
    await postToken(server.tokenUrl, GRANT, { authorization: rawBasic('other', 'other-secret-value') })
    const [encoded, plain] = server.log.tokenRequests()
    assert.equal(encoded?.basicFormEncoded, true)
    assert.equal(plain?.basicFormEncoded, false)
    assert.equal(plain?.status, 200)
  })

  test('the secret never appears in the log, the server object or a response', async () => {
    const responses = [
      await postToken(server.tokenUrl, GRANT, { authorization: basic('svc', SECRET) }),
      await postToken(server.tokenUrl, { ...GRANT, client_id: 'svc', client_secret: SECRET }),
      await postToken(server.tokenUrl, { ...GRANT, client_secret: SECRET }, { authorization: basic('svc', SECRET) }),
      await postToken(server.tokenUrl, GRANT, { query: `?client_secret=${formEncode(SECRET)}` }),
      await postToken(server.tokenUrl, GRANT, { authorization: rawBasic('svc', SECRET) }),
      await postToken(server.tokenUrl, [['client_secret', SECRET], ['client_secret', SECRET]]),
    ]
    assert.equal(server.log.entries.length, responses.length)
    const forms = [SECRET, formEncode(SECRET), basic('svc', SECRET).slice(6), rawBasic('svc', SECRET).slice(6)]
    const shown = [
      JSON.stringify(server.log),
      JSON.stringify(server.log.entries),
      inspect(server.log, { depth: Infinity, showHidden: true }),
      inspect(server.log.entries, { depth: Infinity }),
      JSON.stringify(server),
      inspect(server, { depth: Infinity, showHidden: true }),
      ...responses.map((response) => response.text + JSON.stringify([...response.headers])),
    ]
    for (const text of shown) for (const form of forms) assert.ok(!text.includes(form), text)
    for (const entry of server.log.entries) assert.ok(!('client_secret' in entry.params))
  })

  test('count() and filter() narrow by path, client id and scope', async () => {
    const asSvc = { authorization: basic('svc', SECRET) }
    const read = await postToken(server.tokenUrl, { ...GRANT, scope: 'api:read' }, asSvc)
    await postToken(server.tokenUrl, { ...GRANT, scope: 'api:write' }, asSvc)
    await postToken(server.tokenUrl, { ...GRANT, scope: 'api:read' }, { authorization: basic('other', 'other-secret-value') })
    const bearer = { authorization: `Bearer ${read.json['access_token'] as string}` }
    await fetch(server.resourceUrl, { headers: bearer })
    await fetch(`${server.resourceUrl}?scope=api:write`, { headers: bearer })
    await fetch(`${server.url}/nowhere`)
    assert.equal(server.log.count(), 6)
    assert.equal(server.log.count({}), server.log.entries.length)
    assert.equal(server.log.count({ path: '/token' }), 3)
    assert.equal(server.log.count({ path: '/token', clientId: 'svc' }), 2)
    assert.equal(server.log.count({ clientId: 'svc' }), 4, 'token and resource requests of svc')
    assert.equal(server.log.count({ scope: 'api:read' }), 2)
    assert.equal(server.log.count({ path: '/token', clientId: 'other', scope: 'api:read' }), 1)
    assert.equal(server.log.count({ path: '/resource' }), 2)
    assert.equal(server.log.count({ path: '/resource', scope: 'api:write' }), 1)
    assert.equal(server.log.count({ path: '/nowhere' }), 1)
    assert.equal(server.log.count({ path: '/token?x' }), 0)
    assert.deepEqual(
      server.log.filter({ path: '/resource' }).map((entry) => entry.status),
      [200, 403],
    )
    assert.equal(server.log.tokenRequests({ path: '/resource' }).length, 3, 'tokenRequests ignores path')
    const limited = await startReferenceServer({ logLimit: 2 })
    try {
      for (let index = 0; index < 4; index++) await fetch(`${limited.url}/p`)
      assert.equal(limited.log.count(), 2)
      assert.equal(limited.log.count({ path: '/p' }), 2)
    } finally {
      await limited.close()
    }
  })

  test('the path is logged without its query string', async () => {
    await postToken(server.tokenUrl, GRANT, { authorization: basic('svc', SECRET), query: '?tenant=a' })
    assert.equal(server.log.entries[0]?.path, '/token')
  })

  test('logLimit keeps the latest entries; 0 records nothing', async () => {
    const small = await startReferenceServer({ logLimit: 3, clients: [] })
    const none = await startReferenceServer({ logLimit: 0, clients: [] })
    try {
      for (let index = 0; index < 5; index++) {
        await fetch(`${small.url}/p${index}`)
        await fetch(`${none.url}/p${index}`)
      }
      assert.deepEqual(
        small.log.entries.map((entry) => entry.path),
        ['/p2', '/p3', '/p4'],
      )
      assert.equal(none.log.entries.length, 0)
      small.log.clear()
      await fetch(`${small.url}/again`)
      assert.deepEqual(small.log.entries.map((entry) => entry.path), ['/again'])
    } finally {
      await Promise.all([small.close(), none.close()])
    }
  })
})
