// Only failures that can change are retried: network failures are; a certificate the client does
// not trust is a final TRANSPORT_ERROR; a bug surfaces as itself. And a deadline keeps the last
// attempt's failure as its cause.
import assert from 'node:assert/strict'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { after, before, test } from 'node:test'
import { Agent, type Dispatcher } from 'undici'
import { TimeoutError, TokenClient, TransportError, UnexpectedStatusError } from '../../src/index.js'
import { isTransient, transportFailure, type TransportFailure } from '../../src/retry/retry-policy.js'
import { CLIENT_ID } from '../helpers/fixtures.js'
import { RESERVED_SECRET } from '../helpers/secrets.js'
import { selfSignedCertificate, startTlsTokenServer, type Certificate, type TlsTokenServer } from '../helpers/tls-server.js'

const coded = (code: string, message = code): Error => Object.assign(new Error(message), { code })

test('transport failure table: network codes are transient, certificates final, bugs are bugs', () => {
  const rows: Array<[string, unknown, TransportFailure]> = [
    ...['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH'].map(
      (code): [string, unknown, TransportFailure] => [code, coded(code), 'transient'],
    ),
    ...['UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ERR_STREAM_PREMATURE_CLOSE'].map(
      (code): [string, unknown, TransportFailure] => [code, coded(code), 'transient'],
    ),
    ['Happy Eyeballs: every address refused', Object.assign(new AggregateError([coded('ECONNREFUSED')], ''), { code: 'ECONNREFUSED' }), 'transient'],
    ...[
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'CERT_HAS_EXPIRED',
      'CERT_NOT_YET_VALID',
      'ERR_TLS_CERT_ALTNAME_INVALID',
    ].map((code): [string, unknown, TransportFailure] => [code, coded(code), 'certificate']),
    ['TLS to a plain http server', coded('ERR_SSL_WRONG_VERSION_NUMBER'), 'final'],
    ['a dispatcher closed by its owner', coded('UND_ERR_CLOSED'), 'final'],
    ['a proxy refusing the tunnel: 503', coded('UND_ERR_ABORTED', 'Proxy response (503) !== 200 when HTTP Tunneling'), 'transient'],
    ['a proxy refusing the tunnel: 502', coded('UND_ERR_ABORTED', 'Proxy response (502) !== 200 when HTTP Tunneling'), 'transient'],
    ['a proxy refusing the tunnel: 407', coded('UND_ERR_ABORTED', 'Proxy response (407) !== 200 when HTTP Tunneling'), 'final'],
    ['a proxy refusing the tunnel: 403', coded('UND_ERR_ABORTED', 'Proxy response (403) !== 200 when HTTP Tunneling'), 'final'],
    ['another abort from below', coded('UND_ERR_ABORTED', 'Request aborted'), 'final'],
    ['a TypeError without a code', new TypeError('Cannot add property host, object is not extensible'), 'programming'],
    ['a TypeError with a code', Object.assign(new TypeError('bad'), { code: 'ERR_INVALID_ARG_TYPE' }), 'programming'],
    ['a RangeError', new RangeError('out of range'), 'programming'],
    ['an Error without a code', new Error('something broke'), 'programming'],
    ['undici refusing an argument', coded('UND_ERR_INVALID_ARG', 'invalid header'), 'programming'],
    ['not an error', 'a string', 'programming'],
    ['undefined', undefined, 'programming'],
  ]
  for (const [name, error, expected] of rows) assert.equal(transportFailure(error), expected, name)
  assert.equal(isTransient(new TransportError('x', coded('ECONNRESET'))), true, 'transient by default')
  assert.equal(isTransient(new TransportError('x', coded('CERT_HAS_EXPIRED'), false)), false)
})

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createNetServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

const clients: TokenClient[] = []
const agents: Dispatcher[] = []
function makeClient(tokenUrl: string, extra: Partial<ConstructorParameters<typeof TokenClient>[0]> = {}): TokenClient {
  const client = new TokenClient({ tokenUrl, clientId: CLIENT_ID, clientSecret: RESERVED_SECRET, retry: { minDelayMs: 1, maxDelayMs: 2 }, ...extra })
  clients.push(client)
  return client
}
after(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await Promise.all(agents.map((agent) => agent.close()))
})

/** Asserts the error is a final TRANSPORT_ERROR for `code`, sent once, that names no secret. */
function finalCertificateError(code: string, hint: RegExp) {
  return (error: unknown): true => {
    assert.ok(error instanceof TransportError, `a TransportError, not ${String(error)}`)
    assert.equal(error.transient, false)
    assert.equal(error.attempts, 1)
    assert.equal((error.cause as { code?: unknown }).code, code)
    assert.match(error.message, new RegExp(code))
    assert.match(error.message, hint)
    assert.doesNotMatch(error.message, /s3cr/)
    return true
  }
}

const ipCertificate = selfSignedCertificate('IP:127.0.0.1')
const nameCertificate = selfSignedCertificate('DNS:localhost')
const noOpenssl = typeof ipCertificate === 'string' ? ipCertificate : typeof nameCertificate === 'string' ? nameCertificate : false

let tls: TlsTokenServer
let misnamed: TlsTokenServer
before(async () => {
  if (noOpenssl !== false) return
  tls = await startTlsTokenServer(ipCertificate as Certificate)
  misnamed = await startTlsTokenServer(nameCertificate as Certificate)
})
after(async () => {
  await tls?.close()
  await misnamed?.close()
})

test('a self-signed certificate is final: one connection, TRANSPORT_ERROR not transient, the TLS error as cause', { skip: noOpenssl }, async () => {
  const before = tls.connections
  await assert.rejects(makeClient(tls.tokenUrl).getToken('api:read'), finalCertificateError('DEPTH_ZERO_SELF_SIGNED_CERT', /not trusted.*NODE_EXTRA_CA_CERTS/))
  assert.equal(tls.connections - before, 1, 'one TLS connection: not retried')
  assert.equal(tls.requests, 0)

  // The fix the message names: trust the certificate's CA on the dispatcher.
  const trusting = new Agent({ connect: { ca: (ipCertificate as Certificate).cert } })
  agents.push(trusting)
  const token = await makeClient(tls.tokenUrl, { dispatcher: trusting }).getToken('api:read')
  assert.equal(token.accessToken.startsWith('tls-token-'), true)
})

test('a certificate for another host name is final: one connection', { skip: noOpenssl }, async () => {
  const trusting = new Agent({ connect: { ca: (nameCertificate as Certificate).cert } })
  agents.push(trusting)
  const before = misnamed.connections
  await assert.rejects(
    makeClient(misnamed.tokenUrl, { dispatcher: trusting }).getToken('api:read'),
    finalCertificateError('ERR_TLS_CERT_ALTNAME_INVALID', /names another host/),
  )
  assert.equal(misnamed.connections - before, 1)
  assert.equal(misnamed.requests, 0)
})

test('a bug below the client surfaces as itself: not wrapped, not retried', async () => {
  let dispatched = 0
  const bug = new TypeError('Cannot read properties of undefined (reading "host")')
  const agent = new Agent()
  agents.push(agent)
  const broken = agent.compose(() => () => {
    dispatched++
    throw bug
  })
  const port = await closedPort()
  await assert.rejects(makeClient(`http://127.0.0.1:${port}/token`, { dispatcher: broken }).getToken('api:read'), (error: unknown) => {
    assert.equal(error, bug)
    return true
  })
  assert.equal(dispatched, 1)
})

test('a network failure is still transient: a refused connection is retried and says so', async () => {
  const port = await closedPort()
  await assert.rejects(makeClient(`http://127.0.0.1:${port}/token`, { retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 } }).getToken('api:read'), (error: unknown) => {
    assert.ok(error instanceof TransportError)
    assert.equal(error.transient, true)
    assert.equal(error.attempts, 3)
    return true
  })
})

/** Asserts a deadline TIMEOUT whose cause is what `cause` checks. */
function deadlineWithCause(check: (cause: unknown) => void) {
  return (error: unknown): true => {
    assert.ok(error instanceof TimeoutError, `a TimeoutError, not ${String(error)}`)
    assert.equal(error.limit, 'deadline')
    check(error.cause)
    return true
  }
}

test('a deadline spent on a refused connection: TIMEOUT whose cause is the TRANSPORT_ERROR (ECONNREFUSED)', async () => {
  const port = await closedPort()
  // A backoff longer than the deadline, so that the deadline cuts the first wait short. (With short
  // backoffs it may pass during an attempt instead, which then fails as itself: not a test to time.)
  const client = makeClient(`http://127.0.0.1:${port}/token`, { retry: { retries: 3, minDelayMs: 10_000, maxDelayMs: 10_000, deadlineMs: 200 } })
  await assert.rejects(client.getToken('api:read'), (error: unknown) => {
    deadlineWithCause((cause) => {
      assert.ok(cause instanceof TransportError, `cause: ${String(cause)}`)
      assert.equal(cause.transient, true)
      assert.equal((cause.cause as { code?: unknown }).code, 'ECONNREFUSED')
    })(error)
    assert.equal((error as TimeoutError).attempts, 1)
    return true
  })
})

test('a deadline that cuts an attempt short keeps the failure before it: a 503', async () => {
  let requests = 0
  const hanging = new Set<Socket>()
  const server: Server = createHttpServer((req, res) => {
    req.resume()
    if (++requests === 1) {
      res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>down</h1>')
      return
    }
    hanging.add(req.socket) // never answered
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const { port } = server.address() as AddressInfo
    const client = makeClient(`http://127.0.0.1:${port}/token`, { retry: { minDelayMs: 1, maxDelayMs: 2, deadlineMs: 300 } })
    await assert.rejects(client.getToken('api:read'), (error: unknown) => {
      deadlineWithCause((cause) => {
        assert.ok(cause instanceof UnexpectedStatusError, `cause: ${String(cause)}`)
        assert.equal(cause.status, 503)
      })(error)
      assert.equal((error as TimeoutError).attempts, 2)
      return true
    })
    assert.equal(requests, 2)
  } finally {
    for (const socket of hanging) socket.destroy()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})
