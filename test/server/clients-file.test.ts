// Clients loaded from a JSON file, with hashed secrets, next to clients given in options.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose'
import { generateClientSecret, startReferenceServer } from '../../src/server/index.js'
import { TestClock } from '../helpers/test-clock.js'
import { assertionClaims, assertionForm, basic, fetchToken, postToken, signAssertion } from './helpers.js'

const GRANT = { grant_type: 'client_credentials' }
let dir: string

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reference-server-clients-'))
})
after(() => rm(dir, { recursive: true, force: true }))

async function writeClients(name: string, content: unknown): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  return path
}

test('17: clients from a file, by secretHash or clientSecret, with every ReferenceClient field', async () => {
  const svc = generateClientSecret()
  const rotated = generateClientSecret()
  const clock = new TestClock()
  const path = await writeClients('clients.json', {
    clients: [
      { clientId: 'svc', secretHash: svc.stored, scopes: ['api:read'] },
      { clientId: 'plain', clientSecret: 'plain secret', scopes: [], tokenLifetime: 60, tokenFormat: 'jwt' },
      {
        clientId: 'rot',
        secrets: [
          { secretHash: rotated.stored },
          { secret: 'old', expiresAt: new Date(clock.now() + 60_000).toISOString() },
        ],
        scopes: ['audit'],
      },
    ],
  })
  const server = await startReferenceServer({
    clock,
    clientsFile: path,
    clients: [{ clientId: 'inline', clientSecret: 'inline-secret', scopes: ['api:write'] }],
  })
  try {
    const svcToken = await postToken(server.tokenUrl, GRANT, { authorization: basic('svc', svc.secret) })
    assert.equal(svcToken.json['scope'], 'api:read')
    const plain = await postToken(server.tokenUrl, GRANT, { authorization: basic('plain', 'plain secret') })
    assert.equal(plain.json['expires_in'], 60)
    assert.equal(decodeProtectedHeader(plain.json['access_token'] as string).typ, 'at+jwt')
    assert.equal((await postToken(server.tokenUrl, GRANT, { authorization: basic('rot', 'old') })).status, 200)
    clock.advance(60_000)
    assert.equal((await postToken(server.tokenUrl, GRANT, { authorization: basic('rot', 'old') })).status, 401)
    assert.ok(await fetchToken(server.tokenUrl, basic('rot', rotated.secret)))
    assert.ok(await fetchToken(server.tokenUrl, basic('inline', 'inline-secret')))
    const metadata = (await (await fetch(`${server.issuer}/.well-known/oauth-authorization-server`)).json()) as {
      scopes_supported: string[]
    }
    assert.deepEqual(metadata.scopes_supported, ['api:write', 'api:read', 'audit'])
  } finally {
    await server.close()
  }
})

test('clients is optional when a file gives them', async () => {
  const { secret, stored } = generateClientSecret()
  const path = await writeClients('only.json', { clients: [{ clientId: 'svc', secretHash: stored, scopes: [] }] })
  const server = await startReferenceServer({ clientsFile: path })
  try {
    assert.ok(await fetchToken(server.tokenUrl, basic('svc', secret)))
  } finally {
    await server.close()
  }
})

test('a bad clients file is a TypeError naming the field and never quoting the file; a missing one is ENOENT', async () => {
  const secret = 'do-not-echo-this-secret'
  const bad: [string, unknown, RegExp][] = [
    ['not-json.json', `{ "clients": [ { "clientSecret": "${secret}", } ] }`, /options\.clientsFile is not valid JSON/],
    ['array.json', [{ clientId: 'svc' }], /"clients" array/],
    ['no-clients.json', { client: [] }, /"clients" array/],
    ['not-object.json', { clients: ['svc'] }, /clients\[0\] must be an object/],
    ['no-secret.json', { clients: [{ clientId: 'svc', scopes: [] }] }, /options\.clientsFile: clients\[0\] needs/],
    ['bad-secret.json', { clients: [{ clientId: 'svc', clientSecret: `${secret}\u00e9`, scopes: [] }] }, /clientSecret/],
    ['date-only.json', { clients: [{ clientId: 'svc', secrets: [{ secret, expiresAt: '2030-01-01' }], scopes: [] }] }, /expiresAt/],
    ['bad-date.json', { clients: [{ clientId: 'svc', secrets: [{ secret, expiresAt: 2030 }], scopes: [] }] }, /expiresAt/],
    ['secrets.json', { clients: [{ clientId: 'svc', secrets: secret, scopes: [] }] }, /secrets must be an array/],
    ['bad-format.json', { clients: [{ clientId: 'svc', clientSecret: secret, scopes: [], tokenFormat: 'saml' }] }, /tokenFormat/],
  ]
  for (const [name, content, message] of bad) {
    const path = await writeClients(name, content)
    await assert.rejects(
      startReferenceServer({ clientsFile: path }),
      (error: Error & { code?: string; cause?: unknown }) => {
        assert.equal(error.name, 'TypeError', name)
        assert.equal(error.code, 'ERR_INVALID_ARG_VALUE', name)
        assert.match(error.message, message, name)
        assert.ok(!error.message.includes(secret), name)
        assert.equal(error.cause, undefined, name)
        return true
      },
    )
  }
  await assert.rejects(startReferenceServer({ clientsFile: join(dir, 'missing.json') }), { code: 'ENOENT' })
  await assert.rejects(startReferenceServer({ clientsFile: '' }), { code: 'ERR_INVALID_ARG_VALUE' })
})

test('a client id in both options and the file is refused', async () => {
  const path = await writeClients('dupe.json', { clients: [{ clientId: 'svc', clientSecret: 'b', scopes: [] }] })
  await assert.rejects(
    startReferenceServer({ clientsFile: path, clients: [{ clientId: 'svc', clientSecret: 'a', scopes: [] }] }),
    { code: 'ERR_INVALID_ARG_VALUE', message: /options\.clientsFile: clients\[0\]\.clientId is registered twice/ },
  )
})

test('RFC 7523 §2.2: a file registers jwks (private_key_jwt) and a jwtSecret (client_secret_jwt)', async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256')
  const jwtSecret = generateClientSecret().secret
  const path = await writeClients('jwt-clients.json', {
    clients: [
      { clientId: 'keyed', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1' }] }, scopes: ['api:read'] },
      { clientId: 'hmac', jwtSecret, scopes: ['api:read'] },
    ],
  })
  const server = await startReferenceServer({ clientsFile: path })
  try {
    const claims = (clientId: string) => assertionClaims(clientId, server.issuer, Date.now())
    const keyed = await signAssertion(privateKey, { alg: 'ES256', kid: 'k1' }, claims('keyed'))
    const hmac = await signAssertion(new TextEncoder().encode(jwtSecret), { alg: 'HS256' }, claims('hmac'))
    assert.equal((await postToken(server.tokenUrl, assertionForm(keyed))).status, 200)
    assert.equal((await postToken(server.tokenUrl, assertionForm(hmac))).status, 200)
    assert.deepEqual(
      server.log.tokenRequests().map((entry) => entry.authMethod),
      ['private_key_jwt', 'client_secret_jwt'],
    )
  } finally {
    await server.close()
  }
})
