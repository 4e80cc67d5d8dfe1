// Mutual-TLS client authentication and certificate-bound tokens (RFC 8705) in the client: the
// certificate on the connection, client_id alone in the body, the options' checks, the cache key,
// discovery's mtls_endpoint_aliases and the method choice, and no key text anywhere it could be shown.
import assert from 'node:assert/strict'
import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { after, before, describe, test } from 'node:test'
import { inspect } from 'node:util'
import { Agent } from 'undici'
import { chooseAuthMethod } from '../../src/auth/auth-method-choice.js'
import { cacheKeyPrefix } from '../../src/cache/cache-key.js'
import { DiscoveryError, sharedTokenCache, TokenClient, type TokenClientOptions } from '../../src/index.js'
import { memoryStore } from '../helpers/memory-store.js'
import { createSelfSignedCertificate, createTestCertificateAuthority } from '../../src/server/tls/test-certificates.js'

const authority = createTestCertificateAuthority()
const serverCertificate = authority.issue({ ipAddresses: ['127.0.0.1'], usage: 'server' })
const svc = authority.issue({ subject: { commonName: 'svc' }, usage: 'client' })
const other = authority.issue({ subject: { commonName: 'svc' }, usage: 'client' })
const selfSigned = createSelfSignedCertificate({ subject: { commonName: 'svc' }, usage: 'client' })
const rsa = authority.issue({ subject: { commonName: 'svc' }, usage: 'client', keyType: 'rsa' })

/** A line of base64 from the middle of a PEM key: what a leak of the key would contain. */
const keyMarker = (pem: string): string => pem.split('\n')[2] as string
const KEY_MARKERS = [svc.key, other.key, selfSigned.key, rsa.key].map(keyMarker)
const noKeyText = (text: string, what: string): void => {
  for (const marker of KEY_MARKERS) assert.ok(!text.includes(marker), `${what} holds key text`)
}

/** What the token endpoint saw of one request. */
interface Seen {
  path: string
  authorized: boolean
  thumbprint: string | undefined
  authorization: string | undefined
  form: URLSearchParams
}

let server: Server
let origin: string
const seen: Seen[] = []
let metadata: Record<string, unknown> | undefined
let tokens = 0

before(async () => {
  server = createServer({ cert: serverCertificate.cert, key: serverCertificate.key, ca: [authority.cert], requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const socket = req.socket as TLSSocket
      const peer = socket.getPeerX509Certificate()
      const path = new URL(req.url ?? '/', origin).pathname
      if (path.startsWith('/.well-known/')) {
        if (metadata === undefined || path !== '/.well-known/oauth-authorization-server') {
          res.statusCode = 404
          res.end()
          return
        }
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify(metadata))
        return
      }
      seen.push({
        path,
        authorized: socket.authorized,
        thumbprint: peer === undefined ? undefined : createHash('sha256').update(peer.raw).digest('base64url'),
        authorization: req.headers.authorization,
        form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
      })
      tokens++
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ access_token: `mtls-token-${tokens}`, token_type: 'Bearer', expires_in: 3600 }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
})

const clients: TokenClient[] = []
const agents: Agent[] = []
after(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await Promise.all(agents.map((agent) => agent.close()))
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const tlsOf = (issued: { cert: string; key: string }) => ({ cert: issued.cert, key: issued.key, ca: authority.cert })
function make(options: Partial<TokenClientOptions>): TokenClient {
  const client = new TokenClient({ tokenUrl: `${origin}/token`, clientId: 'svc', retry: false, ...options } as TokenClientOptions)
  clients.push(client)
  return client
}

describe('token requests over mutual TLS', { timeout: 30_000 }, () => {
  test('tls_client_auth presents the certificate; the body has client_id and no secret, no Authorization', async () => {
    const client = make({ authMethod: 'tls_client_auth', tls: tlsOf(svc) })
    const token = await client.getToken('api:read')
    assert.match(token.accessToken, /^mtls-token-/)
    const request = seen.at(-1) as Seen
    assert.equal(request.path, '/token')
    assert.equal(request.authorized, true, 'the server verified the certificate against its CA')
    assert.equal(request.thumbprint, svc.thumbprint)
    assert.equal(request.authorization, undefined)
    assert.equal(request.form.get('client_id'), 'svc')
    assert.equal(request.form.get('grant_type'), 'client_credentials')
    assert.equal(request.form.get('scope'), 'api:read')
    for (const name of ['client_secret', 'client_assertion', 'client_assertion_type']) assert.equal(request.form.has(name), false, name)
    assert.deepEqual(client.options, {
      tokenUrl: `${origin}/token`,
      clientId: 'svc',
      authMethod: 'tls_client_auth',
      tlsCertificateThumbprint: svc.thumbprint,
    })
  })

  test('self_signed_tls_client_auth presents a self-signed certificate (an RSA key works as well)', async () => {
    const client = make({ authMethod: 'self_signed_tls_client_auth', tls: { cert: selfSigned.cert, key: Buffer.from(selfSigned.key), ca: [authority.cert] } })
    await client.getToken()
    const request = seen.at(-1) as Seen
    assert.equal(request.authorized, false, 'not signed by a CA the server trusts')
    assert.equal(request.thumbprint, selfSigned.thumbprint)
    assert.equal(request.form.get('client_id'), 'svc')
    assert.equal(request.form.has('client_secret'), false)
    const rsaClient = make({ authMethod: 'tls_client_auth', tls: tlsOf(rsa) })
    await rsaClient.getToken()
    assert.equal(seen.at(-1)?.thumbprint, rsa.thumbprint)
  })

  test('another method with tls: the secret authenticates, the certificate is presented too (RFC 8705 §3)', async () => {
    const client = make({ clientSecret: 'hunter2-secret', tls: tlsOf(svc) })
    await client.getToken()
    const request = seen.at(-1) as Seen
    assert.equal(request.thumbprint, svc.thumbprint)
    assert.match(request.authorization ?? '', /^Basic /)
    assert.equal(client.options.tlsCertificateThumbprint, svc.thumbprint)
    assert.equal(client.options.clientSecret, '[redacted]')
  })

  test('without tls no certificate is presented', async () => {
    const dispatcher = new Agent({ connect: { ca: authority.cert } })
    agents.push(dispatcher)
    await make({ clientSecret: 'hunter2-secret', dispatcher }).getToken()
    assert.equal(seen.at(-1)?.thumbprint, undefined)
  })

  test("with a dispatcher of the caller's, tls.key may be left out: the dispatcher presents the certificate", async () => {
    const dispatcher = new Agent({ connect: tlsOf(svc) })
    agents.push(dispatcher)
    const client = make({ authMethod: 'tls_client_auth', tls: { cert: svc.cert }, dispatcher })
    await client.getToken()
    assert.equal(seen.at(-1)?.thumbprint, svc.thumbprint)
    assert.equal(client.options.tlsCertificateThumbprint, svc.thumbprint)
    assert.throws(() => client.createAgent(), (error: TypeError & { code?: string }) => error.code === 'ERR_INVALID_ARG_VALUE' && /^tls\.key is needed for createAgent\(\)/.test(error.message))
  })
})

describe('the options, one TypeError each', () => {
  const base = { tokenUrl: 'https://id.example.com/token', clientId: 'svc' }
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
  const encrypted = createPrivateKey(svc.key).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string
  const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
    ['tls is required by tls_client_auth', { authMethod: 'tls_client_auth' }, /^tls is required with authMethod 'tls_client_auth'/],
    ['tls is required by self_signed_tls_client_auth', { authMethod: 'self_signed_tls_client_auth' }, /^tls is required with authMethod 'self_signed_tls_client_auth'/],
    ['clientSecret', { authMethod: 'tls_client_auth', tls: tlsOf(svc), clientSecret: 'hunter2-secret' }, /^clientSecret must not be given with authMethod 'tls_client_auth'/],
    ['privateKey', { authMethod: 'tls_client_auth', tls: tlsOf(svc), privateKey: svc.key }, /^privateKey must not be given with authMethod 'tls_client_auth'/],
    ['keyId', { authMethod: 'self_signed_tls_client_auth', tls: tlsOf(svc), keyId: 'k1' }, /^keyId must not be given/],
    ['signingAlgorithm', { authMethod: 'tls_client_auth', tls: tlsOf(svc), signingAlgorithm: 'ES256' }, /^signingAlgorithm must not be given/],
    ['certificate', { authMethod: 'tls_client_auth', tls: tlsOf(svc), certificate: svc.cert }, /^certificate must not be given/],
    ['authMethod, with tls alone and a tokenUrl', { tls: tlsOf(svc) }, /^authMethod is required with tls and neither clientSecret nor privateKey/],
    ['tls not an object', { authMethod: 'tls_client_auth', tls: 'cert.pem' }, /^tls must be an object/],
    ['tls.cert missing', { authMethod: 'tls_client_auth', tls: { key: svc.key } }, /^tls\.cert must be a PEM certificate/],
    ['tls.cert not PEM', { authMethod: 'tls_client_auth', tls: { cert: 'cert.pem', key: svc.key } }, /^tls\.cert must be a PEM certificate/],
    ['tls.cert malformed', { authMethod: 'tls_client_auth', tls: { cert: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', key: svc.key } }, /^tls\.cert holds a malformed PEM certificate/],
    ['tls.key missing without a dispatcher', { authMethod: 'tls_client_auth', tls: { cert: svc.cert } }, /^tls\.key is required, unless a dispatcher/],
    ['tls.key a public key', { authMethod: 'tls_client_auth', tls: { cert: svc.cert, key: publicKey.export({ format: 'pem', type: 'spki' }) } }, /^tls\.key is a public key PEM/],
    ['tls.key encrypted', { authMethod: 'tls_client_auth', tls: { cert: svc.cert, key: encrypted } }, /^tls\.key is an encrypted PEM/],
    ['tls.key malformed', { authMethod: 'tls_client_auth', tls: { cert: svc.cert, key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' } }, /^tls\.key is a malformed PEM private key/],
    ['tls.key RSA under 2048 bits', { authMethod: 'tls_client_auth', tls: { cert: svc.cert, key: weak.privateKey.export({ format: 'pem', type: 'pkcs8' }) } }, /^tls\.key is an RSA key of 1024 bits/],
    ['tls.key of another certificate', { authMethod: 'tls_client_auth', tls: { cert: svc.cert, key: other.key } }, /^tls\.key is not the private key of tls\.cert/],
    ['tls.ca malformed', { authMethod: 'tls_client_auth', tls: { ...tlsOf(svc), ca: 'not a certificate' } }, /^tls\.ca must be a PEM certificate/],
    ['tls.ca list with a bad entry', { authMethod: 'tls_client_auth', tls: { ...tlsOf(svc), ca: [authority.cert, 42] } }, /^tls\.ca\[1\] must be a PEM certificate/],
    ['tls.ca empty list', { authMethod: 'tls_client_auth', tls: { ...tlsOf(svc), ca: [] } }, /^tls\.ca must not be an empty list/],
    ['an unknown tls field, with the one meant', { authMethod: 'tls_client_auth', tls: { ...tlsOf(svc), passphrase: 'pw' } }, /^tls\.passphrase is not a TokenClient option; did you mean tls\.key, decrypted\?$/],
    ['a misspelt tls field', { authMethod: 'tls_client_auth', tls: { cret: svc.cert, key: svc.key } }, /^tls\.cret is not a TokenClient option; did you mean tls\.cert\?$/],
    ['a tls field at the top', { authMethod: 'tls_client_auth', tls: tlsOf(svc), ca: authority.cert }, /^ca is not a TokenClient option; did you mean tls\.ca\?$/],
  ]
  for (const [name, patch, pattern] of refusals) {
    test(name, () => {
      assert.throws(
        () => new TokenClient({ ...base, ...patch } as unknown as TokenClientOptions),
        (error: unknown) => {
          assert.ok(error instanceof TypeError, String(error))
          assert.equal((error as { code?: string }).code, 'ERR_INVALID_ARG_VALUE')
          assert.match(error.message, pattern)
          noKeyText(error.message, 'the message')
          noKeyText(inspect(error, { showHidden: true, depth: Infinity }), 'the error')
          assert.equal(error.cause, undefined)
          assert.ok(!error.message.includes('hunter2'))
          return true
        },
      )
    })
  }

  test('a chain in tls.cert: the leaf first; the thumbprint is the leaf certificate', () => {
    const client = new TokenClient({ ...base, authMethod: 'tls_client_auth', tls: { cert: `${svc.cert}${authority.cert}`, key: svc.key } })
    assert.equal(client.options.tlsCertificateThumbprint, svc.thumbprint)
    return client.close()
  })

  test('createAgent() needs tls, and refuses connect', async () => {
    const secretOnly = new TokenClient({ ...base, clientSecret: 'hunter2-secret' })
    assert.throws(() => secretOnly.createAgent(), /tls is needed for createAgent\(\)/)
    const client = new TokenClient({ ...base, authMethod: 'tls_client_auth', tls: tlsOf(svc) })
    assert.throws(() => client.createAgent({ connect: {} } as never), /connect is set by createAgent\(\)/)
    await Promise.all([secretOnly.close(), client.close()])
  })

  test("a shared cache without tls.key needs the key, or encryptionKeys of its own", async () => {
    const store = memoryStore()
    const dispatcher = new Agent()
    const noKey = { ...base, authMethod: 'tls_client_auth', tls: { cert: svc.cert }, dispatcher } as const
    assert.throws(
      () => new TokenClient({ ...noKey, sharedCache: sharedTokenCache(store) }),
      (error: TypeError & { code?: string }) => error.code === 'ERR_INVALID_ARG_VALUE' && /^sharedCache needs tls\.key with authMethod 'tls_client_auth'.*encryptionKeys/.test(error.message),
    )
    const explicit = new TokenClient({ ...noKey, sharedCache: sharedTokenCache(store, { encryptionKeys: ['a-fleet-key-of-at-least-32-characters!!'] }) })
    const keyed = new TokenClient({ ...base, authMethod: 'tls_client_auth', tls: tlsOf(svc), sharedCache: sharedTokenCache(store) })
    await Promise.all([explicit.close(), keyed.close(), dispatcher.close()])
  })
})

describe('the cache key holds the certificate thumbprint', { timeout: 30_000 }, () => {
  test('cacheKeyPrefix: a labelled x5t#S256, and the old prefix without one', () => {
    const url = 'https://id.example.com/token'
    assert.equal(cacheKeyPrefix(url, 'svc', 'client_secret_basic'), JSON.stringify([url, 'svc', 'client_secret_basic']))
    const a = cacheKeyPrefix(url, 'svc', 'tls_client_auth', undefined, svc.thumbprint)
    const b = cacheKeyPrefix(url, 'svc', 'tls_client_auth', undefined, other.thumbprint)
    assert.notEqual(a, b)
    assert.ok(a.includes(`x5t#S256=${svc.thumbprint}`))
  })

  test('clients of one id on one shared cache share a token only with the same certificate', async () => {
    const store = memoryStore()
    const sharedCache = sharedTokenCache(store)
    const before = tokens
    const first = await make({ authMethod: 'tls_client_auth', tls: tlsOf(svc), sharedCache }).getToken('shared')
    const sameCertificate = await make({ authMethod: 'tls_client_auth', tls: tlsOf(svc), sharedCache }).getToken('shared')
    assert.equal(sameCertificate.accessToken, first.accessToken, 'the same certificate: the shared token')
    assert.equal(tokens, before + 1)
    const otherCertificate = await make({ authMethod: 'tls_client_auth', tls: tlsOf(other), sharedCache }).getToken('shared')
    assert.notEqual(otherCertificate.accessToken, first.accessToken, 'another certificate: a token of its own')
    assert.equal(tokens, before + 2)
    assert.equal(seen.at(-1)?.thumbprint, other.thumbprint)
    // A secret client with a certificate is apart from the same secret client without one, too.
    const plain = make({ clientSecret: 'hunter2-secret', sharedCache, dispatcher: agentTrustingCa() })
    const bound = make({ clientSecret: 'hunter2-secret', sharedCache, tls: tlsOf(svc) })
    assert.notEqual((await plain.getToken('shared')).accessToken, (await bound.getToken('shared')).accessToken)
  })
})

describe('discovery: mtls_endpoint_aliases and the method choice', { timeout: 30_000 }, () => {
  const discovered = (document: Record<string, unknown>) => {
    metadata = { issuer: origin, token_endpoint: `${origin}/token`, ...document }
  }

  test('chooseAuthMethod: tls alone means tls_client_auth, then self_signed_tls_client_auth', () => {
    const tlsOnly = { given: undefined, hasPrivateKey: false, tlsOnly: true } as const
    assert.deepEqual(chooseAuthMethod(['client_secret_basic', 'self_signed_tls_client_auth', 'tls_client_auth'], tlsOnly), { method: 'tls_client_auth' })
    assert.deepEqual(chooseAuthMethod(['client_secret_basic', 'self_signed_tls_client_auth'], tlsOnly), { method: 'self_signed_tls_client_auth' })
    const refused = chooseAuthMethod(['client_secret_basic', 'private_key_jwt'], tlsOnly)
    assert.ok('refused' in refused && /tls_client_auth or self_signed_tls_client_auth/.test(refused.refused))
    assert.ok('refused' in chooseAuthMethod(undefined, tlsOnly))
    assert.ok('refused' in chooseAuthMethod(['client_secret_basic'], { given: 'tls_client_auth', hasPrivateKey: false }))
    // A secret or a key decides as before, tls or not.
    assert.deepEqual(chooseAuthMethod(['tls_client_auth', 'client_secret_post'], { given: undefined, hasPrivateKey: false }), { method: 'client_secret_post' })
  })

  test('with tls, the token request goes to mtls_endpoint_aliases.token_endpoint', async () => {
    discovered({ token_endpoint_auth_methods_supported: ['tls_client_auth'], mtls_endpoint_aliases: { token_endpoint: `${origin}/mtls/token` } })
    const client = make({ tokenUrl: undefined, issuer: origin, tls: tlsOf(svc) })
    assert.equal(client.options.authMethod, undefined, 'not known before discovery')
    assert.equal(client.options.tlsCertificateThumbprint, svc.thumbprint)
    await client.getToken()
    assert.equal(seen.at(-1)?.path, '/mtls/token')
    assert.equal(seen.at(-1)?.thumbprint, svc.thumbprint)
    assert.equal(seen.at(-1)?.form.get('client_id'), 'svc')
    assert.deepEqual(client.options, {
      issuer: origin,
      tokenUrl: `${origin}/mtls/token`,
      clientId: 'svc',
      authMethod: 'tls_client_auth',
      tlsCertificateThumbprint: svc.thumbprint,
    })
  })

  test('without tls, the alias is not used', async () => {
    discovered({ token_endpoint_auth_methods_supported: ['client_secret_basic', 'tls_client_auth'], mtls_endpoint_aliases: { token_endpoint: `${origin}/mtls/token` } })
    const client = make({ tokenUrl: undefined, issuer: origin, clientSecret: 'hunter2-secret', dispatcher: agentTrustingCa() })
    await client.getToken()
    assert.equal(seen.at(-1)?.path, '/token')
    assert.equal(seen.at(-1)?.thumbprint, undefined)
    assert.equal(client.options.authMethod, 'client_secret_basic')
  })

  test('a secret with tls uses the alias too (the token may be bound to the certificate)', async () => {
    discovered({ token_endpoint_auth_methods_supported: ['client_secret_post'], mtls_endpoint_aliases: { token_endpoint: `${origin}/mtls/token` } })
    const client = make({ tokenUrl: undefined, issuer: origin, clientSecret: 'hunter2-secret', tls: tlsOf(svc) })
    await client.getToken()
    assert.equal(seen.at(-1)?.path, '/mtls/token')
    assert.equal(seen.at(-1)?.form.get('client_secret'), 'hunter2-secret')
    assert.equal(client.options.authMethod, 'client_secret_post')
  })

  test('no alias: token_endpoint; only self_signed listed: that method', async () => {
    discovered({ token_endpoint_auth_methods_supported: ['self_signed_tls_client_auth'] })
    const client = make({ tokenUrl: undefined, issuer: origin, tls: tlsOf(selfSigned) })
    await client.getToken()
    assert.equal(seen.at(-1)?.path, '/token')
    assert.equal(seen.at(-1)?.thumbprint, selfSigned.thumbprint)
    assert.equal(client.options.authMethod, 'self_signed_tls_client_auth')
  })

  const failures: Array<[string, Record<string, unknown>, Partial<TokenClientOptions>, RegExp]> = [
    ['no mutual-TLS method listed', { token_endpoint_auth_methods_supported: ['client_secret_basic'] }, {}, /tls_client_auth or self_signed_tls_client_auth/],
    ['a given mTLS method not listed', { token_endpoint_auth_methods_supported: ['tls_client_auth'] }, { authMethod: 'self_signed_tls_client_auth' }, /authMethod 'self_signed_tls_client_auth' is not supported/],
    ['mtls_endpoint_aliases not an object', { token_endpoint_auth_methods_supported: ['tls_client_auth'], mtls_endpoint_aliases: 'https://mtls.example.com' }, {}, /mtls_endpoint_aliases is not a JSON object/],
    ['mtls_endpoint_aliases a list', { token_endpoint_auth_methods_supported: ['tls_client_auth'], mtls_endpoint_aliases: [] }, {}, /mtls_endpoint_aliases is not a JSON object/],
    ['its token_endpoint not a string', { token_endpoint_auth_methods_supported: ['tls_client_auth'], mtls_endpoint_aliases: { token_endpoint: 42 } }, {}, /mtls_endpoint_aliases\.token_endpoint is not a string/],
    ['its token_endpoint plain http', { token_endpoint_auth_methods_supported: ['tls_client_auth'], mtls_endpoint_aliases: { token_endpoint: 'http://mtls.example.com/token' } }, {}, /mtls_endpoint_aliases\.token_endpoint must use https/],
    ['its token_endpoint with credentials', { token_endpoint_auth_methods_supported: ['tls_client_auth'], mtls_endpoint_aliases: { token_endpoint: 'https://u:p@mtls.example.com/token' } }, {}, /mtls_endpoint_aliases\.token_endpoint must not carry credentials/],
  ]
  for (const [name, document, options, pattern] of failures) {
    test(`DISCOVERY_ERROR: ${name}, no token request`, async () => {
      discovered(document)
      const count = seen.length
      const client = make({ tokenUrl: undefined, issuer: origin, tls: tlsOf(svc), ...options })
      await assert.rejects(client.getToken(), (error: unknown) => {
        assert.ok(error instanceof DiscoveryError, String(error))
        assert.equal(error.code, 'DISCOVERY_ERROR')
        assert.match(error.message, pattern)
        return true
      })
      assert.equal(seen.length, count)
    })
  }

  test('a malformed alias matters without tls too (the document is wrong)', async () => {
    discovered({ mtls_endpoint_aliases: 'nope' })
    const client = make({ tokenUrl: undefined, issuer: origin, clientSecret: 'hunter2-secret', dispatcher: agentTrustingCa() })
    await assert.rejects(client.getToken(), /mtls_endpoint_aliases is not a JSON object/)
  })
})

describe('no key text where a client can be shown', { timeout: 30_000 }, () => {
  test('client.options, util.inspect(client), JSON.stringify(client), String(client)', async () => {
    const client = make({ authMethod: 'tls_client_auth', tls: tlsOf(svc) })
    await client.getToken('shown')
    for (const [what, text] of [
      ['options', inspect(client.options, { showHidden: true, depth: Infinity })],
      ['inspect', inspect(client, { showHidden: true, depth: Infinity })],
      ['JSON', JSON.stringify(client)],
      ['String', String(client)],
    ] as const) {
      noKeyText(text, what)
      assert.ok(!text.includes(svc.cert.split('\n')[2] as string), `${what} holds certificate text`)
    }
    assert.equal(JSON.parse(JSON.stringify(client)).tlsCertificateThumbprint, svc.thumbprint)
  })

  test("the token endpoint's pool: its connector and sockets hold no key text (util.inspect, showHidden, depth Infinity)", async () => {
    const connected: Array<{ connector: unknown; socket: unknown }> = []
    const listener = (message: unknown) => connected.push(message as { connector: unknown; socket: unknown })
    subscribe('undici:client:connected', listener)
    try {
      const client = make({ authMethod: 'tls_client_auth', tls: tlsOf(svc) })
      await client.getToken('pooled')
    } finally {
      unsubscribe('undici:client:connected', listener)
    }
    assert.ok(connected.length >= 1)
    for (const { connector, socket } of connected) {
      noKeyText(inspect(connector, { showHidden: true, depth: Infinity }), 'the connector')
      noKeyText(inspect(socket, { showHidden: true, depth: Infinity }), 'the socket')
    }
  })

  test('an agent from createAgent(), with an open connection: util.inspect holds no key text', async () => {
    const client = make({ authMethod: 'tls_client_auth', tls: tlsOf(svc) })
    const agent = client.createAgent({ connections: 2 })
    agents.push(agent)
    const response = await agent.request({ origin, path: '/token', method: 'POST', body: 'grant_type=client_credentials' })
    await response.body.text()
    assert.equal(seen.at(-1)?.thumbprint, svc.thumbprint)
    noKeyText(inspect(agent, { showHidden: true, depth: Infinity }), 'the agent')
  })
})

function agentTrustingCa(): Agent {
  const agent = new Agent({ connect: { ca: authority.cert } })
  agents.push(agent)
  return agent
}

