// Starting and closing the server, option validation, the body limit, unknown paths, raw HTTP edge cases.
import assert from 'node:assert/strict'
import { Agent, request } from 'node:http'
import { connect } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { startReferenceServer, type ReferenceServer, type ReferenceServerOptions } from '../../src/server/index.js'
import { SECRET, basic, postToken, rawHttp } from './helpers.js'

const GRANT = { grant_type: 'client_credentials' }
const clients = [{ clientId: 'svc', clientSecret: SECRET, scopes: ['api:read'] }]

describe('lifecycle', () => {
  test('starts on a free port with tokenUrl, issuer and url on the same origin', async () => {
    const server = await startReferenceServer({ clients })
    try {
      assert.ok(server.port > 0)
      assert.equal(server.issuer, `http://127.0.0.1:${server.port}`)
      assert.equal(server.url, server.issuer)
      assert.equal(server.tokenUrl, `${server.issuer}/token`)
      assert.equal(server.jwksUri, `${server.issuer}/jwks`)
      assert.equal(server.introspectionUrl, `${server.issuer}/introspect`)
      assert.equal(server.revocationUrl, `${server.issuer}/revoke`)
      assert.equal(server.resourceUrl, `${server.issuer}/resource`)
    } finally {
      await server.close()
    }
  })

  test('brackets an IPv6 host', async (t) => {
    let server: ReferenceServer
    try {
      server = await startReferenceServer({ clients, host: '::1' })
    } catch (error) {
      if ((error as { code?: string }).code === 'EADDRNOTAVAIL') return t.skip('no IPv6 loopback')
      throw error
    }
    try {
      assert.equal(server.issuer, `http://[::1]:${server.port}`)
      assert.equal((await postToken(server.tokenUrl, GRANT, { authorization: basic('svc', SECRET) })).status, 200)
    } finally {
      await server.close()
    }
  })

  test('close() ends open keep-alive connections and can be called twice', async () => {
    const server = await startReferenceServer({ clients })
    const agent = new Agent({ keepAlive: true })
    const socketClosed = new Promise<void>((resolve, reject) => {
      const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('svc', SECRET) }
      const req = request(server.tokenUrl, { method: 'POST', agent, headers }, (res) => {
        res.resume()
        res.on('end', () => {
          // The socket stays open in the agent's pool until the server ends it.
          setImmediate(() => {
            const free = Object.values(agent.freeSockets).flat()
            assert.equal(free.length, 1)
            // A pooled socket is unref'd; ref it so the test waits for its close.
            free[0]?.ref()
            free[0]?.once('close', () => resolve())
            void server.close()
          })
        })
      })
      req.on('error', reject)
      req.end('grant_type=client_credentials')
    })
    await socketClosed
    await server.close()
    agent.destroy()
    // A keep-alive connection from fetch does not hold close() up either.
    const other = await startReferenceServer({ clients })
    assert.equal((await postToken(other.tokenUrl, GRANT, { authorization: basic('svc', SECRET) })).status, 200)
    await other.close()
  })

  test('clients may be left out: a server with no clients', async () => {
    const server = await startReferenceServer({})
    try {
      assert.equal((await postToken(server.tokenUrl, GRANT, { authorization: basic('svc', SECRET) })).status, 401)
    } finally {
      await server.close()
    }
  })

  test('rejects when the port is taken', async () => {
    const server = await startReferenceServer({ clients })
    try {
      await assert.rejects(startReferenceServer({ clients, port: server.port }), { code: 'EADDRINUSE' })
    } finally {
      await server.close()
    }
  })

  test('invalid options are a TypeError with ERR_INVALID_ARG_VALUE', async () => {
    const invalid: unknown[] = [
      undefined,
      { clients: 'svc' },
      { clients: [{ clientId: '', clientSecret: 'x', scopes: [] }] },
      { clients: [{ clientId: 'a\tb', clientSecret: 'x', scopes: [] }] },
      { clients: [{ clientId: 'a', clientSecret: 'x', scopes: [] }, { clientId: 'a', clientSecret: 'y', scopes: [] }] },
      { clients: [{ clientId: 'a', clientSecret: 'x', scopes: ['two words'] }] },
      { clients: [{ clientId: 'a', clientSecret: 'x' }] },
      { clients: [{ clientId: 'a', clientSecret: 'x', scopes: [], grantTypes: [''] }] },
      { clients: [{ clientId: 'a', clientSecret: 'x', scopes: [], tokenLifetime: 0 }] },
      { clients: [{ clientId: 'a', secrets: [{ secret: 'x', expiresAt: new Date(Number.NaN) }], scopes: [] }] },
      { clients: [{ clientId: 'a', secrets: 'x', scopes: [] }] },
      { clients: [], port: -1 },
      { clients: [], port: 70_000 },
      { clients: [], tokenLifetime: 1.5 },
      { clients: [], maxBodyBytes: 0 },
      { clients: [], throttle: { maxFailures: 0, windowMs: 1000 } },
      { clients: [], throttle: { maxFailures: 1, windowMs: -1 } },
      { clients: [], throttle: true },
      { clients: [], clock: {} },
      { clients: [], logLimit: -1 },
      { clients: [], host: '' },
      { clients: [], tokenFormat: 'JWT' },
      { clients: [], signingAlgorithm: 'HS256' },
      { clients: [], audience: '' },
      { clients: [], audience: [] },
      { clients: [], audience: ['a', 3] },
      { clients: [], clientsFile: 42 },
      { clients: [{ clientId: 'a', clientSecret: 'x', scopes: [], tokenFormat: 'paseto' }] },
    ]
    for (const options of invalid) {
      await assert.rejects(
        startReferenceServer(options as ReferenceServerOptions),
        { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' },
        JSON.stringify(options),
      )
    }
  })
})

describe('requests', () => {
  let server: ReferenceServer
  before(async () => {
    server = await startReferenceServer({ clients, maxBodyBytes: 1024 })
  })
  after(() => server.close())
  const asSvc = { authorization: basic('svc', SECRET) }

  test('a body over maxBodyBytes is 413 with a JSON error and no-store', async () => {
    const exact = 'grant_type=client_credentials&pad='.padEnd(1024, 'x')
    assert.equal((await postToken(server.tokenUrl, exact, asSvc)).status, 200, 'exactly the limit is fine')
    const response = await postToken(server.tokenUrl, exact + 'x', asSvc)
    assert.equal(response.status, 413)
    assert.equal(response.json['error'], 'invalid_request')
    assert.equal(response.headers.get('cache-control'), 'no-store')
    assert.equal(response.headers.get('pragma'), 'no-cache')
    assert.equal(server.log.entries.at(-1)?.status, 413)
  })

  test('a chunked body over the limit is cut off with 413 too', async () => {
    const chunk = Buffer.alloc(600, 'x')
    const response = await fetch(server.tokenUrl, {
      method: 'POST',
      headers: { ...asSvc, 'content-type': 'application/x-www-form-urlencoded' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(chunk)
          controller.enqueue(chunk)
          controller.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    assert.equal(response.status, 413)
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_request')
  })

  test('an unknown path is 404 with a JSON error', async () => {
    const response = await fetch(`${server.url}/oauth/token`, { method: 'POST' })
    assert.equal(response.status, 404)
    assert.equal(response.headers.get('content-type'), 'application/json')
    assert.equal(((await response.json()) as { error: string }).error, 'not_found')
  })

  test('two Authorization headers are invalid_request', async () => {
    const body = 'grant_type=client_credentials'
    const response = await rawHttp(
      server.port,
      `POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `Authorization: ${basic('svc', SECRET)}\r\nAuthorization: ${basic('svc', SECRET)}\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
    )
    assert.equal(response.status, 400)
    assert.equal(JSON.parse(response.body).error, 'invalid_request')
    assert.equal(response.headers['cache-control'], 'no-store')
  })

  test('a client that goes away mid-body does not disturb the server', async () => {
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: server.port }, () => {
        socket.write(
          'POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
            'Content-Length: 500\r\n\r\ngrant_type=',
        )
        setImmediate(() => {
          socket.destroy()
          resolve()
        })
      })
      socket.on('error', reject)
    })
    assert.equal((await postToken(server.tokenUrl, GRANT, asSvc)).status, 200)
  })
})
