import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { after, before, test } from 'node:test'
import { Agent, type Dispatcher } from 'undici'
import { TokenClient } from '../../src/index.js'
import { DEFAULT_USER_AGENT } from '../../src/version.js'

let server: Server
let url = ''
const seen: Array<{ method?: string | undefined; headers: IncomingHttpHeaders; body: string }> = []
before(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      seen.push({ method: req.method, headers: req.headers, body })
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ access_token: `t${seen.length}`, token_type: 'Bearer', expires_in: 3600 }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/oauth/token`
})
after(() => server.close())

test('the request: POST, form body, Accept JSON, User-Agent with the version, Basic header', async () => {
  const client = new TokenClient({ tokenUrl: url, clientId: 'svc', clientSecret: 'pw', scope: 'b a' })
  await client.getToken()
  await client.close()
  const request = seen.at(-1)
  assert.equal(request?.method, 'POST')
  assert.equal(request?.headers['content-type'], 'application/x-www-form-urlencoded')
  assert.equal(request?.headers.accept, 'application/json')
  assert.equal(request?.headers['user-agent'], DEFAULT_USER_AGENT)
  assert.equal(request?.headers.authorization, `Basic ${Buffer.from('svc:pw').toString('base64')}`)
  assert.equal(request?.body, 'grant_type=client_credentials&scope=a+b')
})

test('client_secret_post sends no Authorization header', async () => {
  const client = new TokenClient({ tokenUrl: url, clientId: 'svc', clientSecret: 'p w', authMethod: 'client_secret_post' })
  await client.getToken('x')
  await client.close()
  const request = seen.at(-1)
  assert.equal(request?.headers.authorization, undefined)
  assert.equal(request?.body, 'grant_type=client_credentials&scope=x&client_id=svc&client_secret=p+w')
})

test('connections are kept alive and reused across requests', async () => {
  const sockets = new Set<unknown>()
  const onConnection = (socket: unknown) => sockets.add(socket)
  server.on('connection', onConnection)
  const client = new TokenClient({ tokenUrl: url, clientId: 'svc', clientSecret: 'pw' })
  for (let i = 0; i < 10; i++) await client.getToken('s', { forceRefresh: true })
  await client.close()
  server.off('connection', onConnection)
  // undici's pool may open a second socket while the first finishes its response; never one per request.
  assert.ok(sockets.size <= 2, `${sockets.size} connections for 10 requests`)
})

test("the caller's dispatcher is used and is not closed by close()", async () => {
  let dispatched = 0
  const agent = new Agent()
  const counting = agent.compose((dispatch: Dispatcher['dispatch']) => (options, handler) => {
    dispatched++
    return dispatch(options, handler)
  })
  const client = new TokenClient({ tokenUrl: url, clientId: 'svc', clientSecret: 'pw', dispatcher: counting })
  await client.getToken('d')
  await client.close()
  assert.equal(dispatched, 1)
  assert.equal(agent.closed, false)
  await agent.close()
})

test('https is required except for loopback hosts, unless the caller opts in', () => {
  const base = { clientId: 'svc', clientSecret: 'pw' }
  assert.throws(() => new TokenClient({ ...base, tokenUrl: 'http://id.example.com/token' }), (error: unknown) =>
    error instanceof TypeError && /https/.test(error.message) && (error as { code?: string }).code === 'ERR_INVALID_ARG_VALUE')
  for (const tokenUrl of ['https://id.example.com/token', 'http://127.0.0.1:1/token', 'http://localhost:1/token', 'http://[::1]:1/token']) {
    const client = new TokenClient({ ...base, tokenUrl })
    void client.close()
  }
  const optedIn = new TokenClient({ ...base, tokenUrl: 'http://id.internal/token', allowInsecureHttp: true })
  void optedIn.close()
})
