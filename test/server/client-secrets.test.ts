// Checklist items 16-17: generated secrets, secrets given as hashes, several secrets with expiry.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { inspect } from 'node:util'
import { generateClientSecret, hashClientSecret, startReferenceServer } from '../../src/server/index.js'
import { digestsEqual, parseSecretHash, sha256Digest } from '../../src/server/clients/client-secret.js'
import { TestClock } from '../helpers/test-clock.js'
import { basic, postToken } from './helpers.js'

const GRANT = { grant_type: 'client_credentials' }

test('17: generateClientSecret gives 32 random bytes base64url and their sha256 stored form', () => {
  const seen = new Set<string>()
  for (let index = 0; index < 100; index++) {
    const { secret, stored } = generateClientSecret()
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(Buffer.from(secret, 'base64url').length, 32)
    assert.equal(stored, 'sha256:' + createHash('sha256').update(secret).digest('base64url'))
    assert.equal(hashClientSecret(secret), stored)
    assert.ok(!stored.includes(secret))
    seen.add(secret)
  }
  assert.equal(seen.size, 100)
})

test('17: parseSecretHash accepts only sha256: with canonical unpadded base64url of 32 bytes', () => {
  const digest = createHash('sha256').update('x').digest()
  assert.deepEqual(parseSecretHash('sha256:' + digest.toString('base64url')), digest)
  for (const bad of [
    digest.toString('base64url'),
    'SHA256:' + digest.toString('base64url'),
    'sha256:' + digest.toString('base64'),
    'sha256:' + digest.toString('hex'),
    'sha256:' + digest.subarray(1).toString('base64url'),
    'sha256:' + digest.toString('base64url').slice(0, 42) + 'B', // stray bits in the last character
    'sha512:' + createHash('sha512').update('x').digest('base64url'),
    'sha256:',
  ]) {
    assert.equal(parseSecretHash(bad), undefined, bad)
  }
})

test('17: a client registered by secretHash authenticates with the secret; the server never sees the plaintext', async () => {
  const { secret, stored } = generateClientSecret()
  const server = await startReferenceServer({ clients: [{ clientId: 'svc', secretHash: stored, scopes: ['api:read'] }] })
  try {
    assert.equal((await postToken(server.tokenUrl, GRANT, { authorization: basic('svc', secret) })).status, 200)
    assert.equal((await postToken(server.tokenUrl, { ...GRANT, client_id: 'svc', client_secret: secret })).status, 200)
    assert.equal((await postToken(server.tokenUrl, GRANT, { authorization: basic('svc', stored) })).status, 401, 'the hash is no password')
    assert.equal((await postToken(server.tokenUrl, GRANT, { authorization: basic('svc', '') })).status, 401)
    const shown = inspect(server, { depth: Infinity, showHidden: true }) + JSON.stringify(server)
    assert.ok(!shown.includes(stored.slice(7)))
  } finally {
    await server.close()
  }
})

test('17: several secrets per client, each given as a secret or a hash, each with its own expiry by the clock', async () => {
  const clock = new TestClock()
  const current = generateClientSecret()
  const server = await startReferenceServer({
    clock,
    clients: [
      {
        clientId: 'rot',
        secrets: [
          { secretHash: current.stored },
          { secret: 'old-plain', expiresAt: new Date(clock.now() + 60_000) },
          { secretHash: hashClientSecret('old-hashed'), expiresAt: new Date(clock.now() + 120_000) },
        ],
        scopes: [],
      },
    ],
    throttle: false,
  })
  const status = async (secret: string) => (await postToken(server.tokenUrl, GRANT, { authorization: basic('rot', secret) })).status
  try {
    assert.deepEqual([await status(current.secret), await status('old-plain'), await status('old-hashed')], [200, 200, 200])
    clock.advance(60_000)
    assert.deepEqual([await status(current.secret), await status('old-plain'), await status('old-hashed')], [200, 401, 200])
    clock.advance(60_000)
    assert.deepEqual([await status(current.secret), await status('old-plain'), await status('old-hashed')], [200, 401, 401])
  } finally {
    await server.close()
  }
})

test('16-17: an invalid secretHash, or a secrets entry with both or neither form, is refused without echoing it', async () => {
  const stored = generateClientSecret().stored
  const invalid = [
    { clientId: 'a', secretHash: 'sha256:abc', scopes: [] },
    { clientId: 'a', secretHash: stored.replace('sha256:', 'md5:'), scopes: [] },
    { clientId: 'a', secretHash: 42, scopes: [] },
    { clientId: 'a', secretHash: hashClientSecret(''), scopes: [] },
    { clientId: 'a', secrets: [{ secret: 'x', secretHash: stored }], scopes: [] },
    { clientId: 'a', secrets: [{ expiresAt: new Date() }], scopes: [] },
    { clientId: 'a', secrets: [{ secretHash: stored, expiresAt: 'tomorrow' }], scopes: [] },
  ]
  for (const client of invalid) {
    await assert.rejects(
      startReferenceServer({ clients: [client as never] }),
      (error: Error & { code?: string }) => {
        assert.equal(error.name, 'TypeError')
        assert.equal(error.code, 'ERR_INVALID_ARG_VALUE')
        assert.ok(!error.message.includes(stored.slice(7)))
        return true
      },
      JSON.stringify(client),
    )
  }
})

test('17: digests are compared whole: equal, differing in the first or last byte, or in length', () => {
  const digest = sha256Digest('s3cr:et%')
  assert.equal(digest.length, 32)
  assert.equal(digestsEqual(digest, sha256Digest('s3cr:et%')), true)
  assert.equal(digestsEqual(digest, sha256Digest('s3cr:et')), false)
  const flip = (text: string, index: number): string =>
    text.slice(0, index) + String.fromCharCode(text.charCodeAt(index) ^ 1) + text.slice(index + 1)
  assert.equal(digestsEqual(digest, flip(digest, 0)), false)
  assert.equal(digestsEqual(digest, flip(digest, 31)), false)
  assert.equal(digestsEqual(digest, digest.slice(0, 31)), false)
  assert.equal(digestsEqual('', ''), true)
})
