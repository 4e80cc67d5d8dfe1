// Certificate-bound tokens (RFC 8705 §3) with the fetch wrapper and the interceptor: the requests
// that carry the token present the client's certificate, the others do not.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { after, before, describe, test } from 'node:test'
import { Agent, fetch as undiciFetch, getGlobalDispatcher, request, setGlobalDispatcher, type Dispatcher } from 'undici'
import { createAuthFetch, TokenClient, tokenInterceptor } from '../../src/index.js'
import { createTestCertificateAuthority } from '../../src/server/tls/test-certificates.js'
import { waitFor } from '../helpers/wait-for.js'

const authority = createTestCertificateAuthority()
const serverCertificate = authority.issue({ ipAddresses: ['127.0.0.1'], usage: 'server' })
const svc = authority.issue({ subject: { commonName: 'svc' }, usage: 'client' })

/** What a server saw of one request. */
interface Seen {
  path: string
  thumbprint: string | undefined
  authorization: string | undefined
}

/** An https server on 127.0.0.1 that asks for a client certificate and records what it got. */
interface RecordingServer {
  readonly origin: string
  readonly seen: Seen[]
  /** Open connections that presented a certificate. */
  readonly certificateSockets: Set<TLSSocket>
  close(): Promise<void>
}

async function startServer(answer: (path: string, respond: (status: number, headers: Record<string, string>, body: string) => void) => void): Promise<RecordingServer> {
  const seen: Seen[] = []
  const certificateSockets = new Set<TLSSocket>()
  const server: Server = createServer({ cert: serverCertificate.cert, key: serverCertificate.key, ca: [authority.cert], requestCert: true, rejectUnauthorized: false }, (req, res) => {
    req.resume()
    req.on('end', () => {
      const peer = (req.socket as TLSSocket).getPeerX509Certificate()
      const path = req.url ?? '/'
      seen.push({ path, thumbprint: peer === undefined ? undefined : createHash('sha256').update(peer.raw).digest('base64url'), authorization: req.headers.authorization })
      answer(path, (status, headers, body) => {
        res.writeHead(status, headers)
        res.end(body)
      })
    })
  })
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.getPeerX509Certificate() === undefined) return
    certificateSockets.add(socket)
    socket.on('close', () => certificateSockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    seen,
    certificateSockets,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

let tokenServer: RecordingServer
let api: RecordingServer
let elsewhere: RecordingServer
let previousDispatcher: Dispatcher
const closing: Array<{ close(): Promise<void> }> = []

before(async () => {
  let issued = 0
  tokenServer = await startServer((_path, respond) =>
    respond(200, { 'content-type': 'application/json' }, JSON.stringify({ access_token: `bound-token-${++issued}`, token_type: 'Bearer', expires_in: 3600 })),
  )
  elsewhere = await startServer((_path, respond) => respond(200, { 'content-type': 'text/plain' }, 'elsewhere'))
  api = await startServer((path, respond) => {
    if (path === '/away') respond(307, { location: `${elsewhere.origin}/landed` }, '')
    else respond(200, { 'content-type': 'text/plain' }, 'api')
  })
  // What undici's fetch uses for requests the wrapper does not route: it trusts the test CA and
  // presents no certificate.
  previousDispatcher = getGlobalDispatcher()
  setGlobalDispatcher(new Agent({ connect: { ca: authority.cert } }))
})

after(async () => {
  await Promise.all(closing.map((item) => item.close()))
  const global = getGlobalDispatcher()
  setGlobalDispatcher(previousDispatcher)
  await global.close()
  await Promise.all([tokenServer, api, elsewhere].map((server) => server.close()))
})

function makeClient(): TokenClient {
  const client = new TokenClient({
    tokenUrl: `${tokenServer.origin}/token`,
    clientId: 'svc',
    authMethod: 'tls_client_auth',
    tls: { cert: svc.cert, key: svc.key, ca: authority.cert },
    retry: false,
  })
  closing.push(client)
  return client
}

describe('createAuthFetch with a TLS client', { timeout: 30_000 }, () => {
  test('the request that carries the token presents the client certificate', async () => {
    const authFetch = createAuthFetch(makeClient(), { origins: [api.origin] })
    const response = await authFetch(`${api.origin}/orders`)
    assert.equal(await response.text(), 'api')
    const seen = api.seen.at(-1) as Seen
    assert.match(seen.authorization ?? '', /^Bearer bound-token-/)
    assert.equal(seen.thumbprint, svc.thumbprint)
    assert.equal(tokenServer.seen.at(-1)?.thumbprint, svc.thumbprint)
  })

  test('a request to an origin not listed carries no token and presents no certificate', async () => {
    const authFetch = createAuthFetch(makeClient(), { origins: [api.origin] })
    await (await authFetch(`${elsewhere.origin}/other`)).text()
    const seen = elsewhere.seen.at(-1) as Seen
    assert.equal(seen.path, '/other')
    assert.equal(seen.authorization, undefined)
    assert.equal(seen.thumbprint, undefined)
  })

  test('a redirect to another origin: that hop carries neither the token nor the certificate', async () => {
    const authFetch = createAuthFetch(makeClient(), { origins: [api.origin] })
    const response = await authFetch(`${api.origin}/away`)
    assert.equal(await response.text(), 'elsewhere')
    assert.equal(api.seen.at(-1)?.path, '/away')
    assert.equal(api.seen.at(-1)?.thumbprint, svc.thumbprint)
    const landed = elsewhere.seen.at(-1) as Seen
    assert.equal(landed.path, '/landed')
    assert.equal(landed.authorization, undefined)
    assert.equal(landed.thumbprint, undefined)
  })

  test("a dispatcher in the request's init is the caller's choice, and is used", async () => {
    const dispatcher = new Agent({ connect: { ca: authority.cert } })
    closing.push(dispatcher)
    const authFetch = createAuthFetch(makeClient(), { origins: [api.origin] })
    await (await authFetch(`${api.origin}/own`, { dispatcher } as unknown as RequestInit)).text()
    const seen = api.seen.at(-1) as Seen
    assert.match(seen.authorization ?? '', /^Bearer /)
    assert.equal(seen.thumbprint, undefined)
  })

  test('with a fetch of its own, the wrapper leaves the connection to it', async () => {
    const authFetch = createAuthFetch(makeClient(), { origins: [api.origin], fetch: (input, init) => undiciFetch(input as string, init as never) as never })
    await (await authFetch(`${api.origin}/custom`)).text()
    assert.match(api.seen.at(-1)?.authorization ?? '', /^Bearer /)
    assert.equal(api.seen.at(-1)?.thumbprint, undefined)
  })

  test("the wrapper's agent is the client's: one for every wrapper, closed by client.close()", async () => {
    const client = makeClient()
    const first = createAuthFetch(client, { origins: [api.origin] })
    const second = createAuthFetch(client, { origins: [api.origin], scope: 'other' })
    const before = api.certificateSockets.size
    await (await first(`${api.origin}/one`)).text()
    await (await second(`${api.origin}/two`)).text()
    assert.equal(api.certificateSockets.size, before + 1, 'one keep-alive connection, shared by both wrappers')
    await client.close()
    await waitFor(() => api.certificateSockets.size === before, 5_000)
    await assert.rejects(first(`${api.origin}/after-close`), { code: 'CLIENT_CLOSED' })
  })
})

describe('tokenInterceptor on client.createAgent()', { timeout: 30_000 }, () => {
  test('the composed agent presents the certificate with the token', async () => {
    const client = makeClient()
    const agent = client.createAgent()
    closing.push(agent)
    const dispatcher = agent.compose(tokenInterceptor({ client, origins: [api.origin] }))
    const { body } = await request(`${api.origin}/intercepted`, { dispatcher })
    assert.equal(await body.text(), 'api')
    const seen = api.seen.at(-1) as Seen
    assert.equal(seen.path, '/intercepted')
    assert.match(seen.authorization ?? '', /^Bearer bound-token-/)
    assert.equal(seen.thumbprint, svc.thumbprint)
    // The caller's agent is the caller's: closing the client leaves it open.
    await client.close()
    const again = await request(`${api.origin}/still-open`, { dispatcher: agent })
    await again.body.text()
    assert.equal(api.seen.at(-1)?.thumbprint, svc.thumbprint)
  })
})
