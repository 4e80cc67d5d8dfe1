// private_key_jwt (RFC 7523 §2.2, OpenID Connect Core §9): clients registered with public JWKs,
// assertions signed with jose in the test. Which algorithms and keys are taken, what is refused and
// how (checklist item 14: 401 invalid_client), what registration refuses (a private JWK first), and
// what the log keeps (the method, alg and kid; never the assertion).
import assert from 'node:assert/strict'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, beforeEach, describe, test } from 'node:test'
import { inspect } from 'node:util'
import { exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { TestClock } from '../helpers/test-clock.js'
import { SECRET, assertionClaims, assertionForm, basic, postForm, postToken, signAssertion, unsignedJws } from './helpers.js'

// RSA keys are node KeyObjects, which jose signs with as RS256 and PS256 alike (a CryptoKey is bound to one).
type KeyPair = { publicKey: CryptoKey | KeyObject; privateKey: CryptoKey | KeyObject }

const JWT_SECRET = 'a-jwt-secret-of-at-least-32-bytes-0123456789'
const clock = new TestClock()
const keys: Record<string, KeyPair> = {}
let server: ReferenceServer

async function publicJwk(pair: KeyPair, extra: Partial<JWK> = {}): Promise<JWK> {
  return { ...(await exportJWK(pair.publicKey)), ...extra }
}

before(async () => {
  keys['es1'] = await generateKeyPair('ES256')
  keys['es2'] = await generateKeyPair('ES256')
  keys['rsa'] = generateKeyPairSync('rsa', { modulusLength: 2048 })
  keys['ps'] = generateKeyPairSync('rsa', { modulusLength: 2048 })
  keys['ed'] = await generateKeyPair('Ed25519')
  keys['stranger'] = await generateKeyPair('ES256')
  server = await startReferenceServer({
    clock,
    throttle: false,
    clients: [
      {
        clientId: 'es',
        jwks: { keys: [await publicJwk(keys['es1'], { kid: 'es-1' }), await publicJwk(keys['es2'], { kid: 'es-2' })] },
        scopes: ['api:read'],
      },
      { clientId: 'rsa', jwks: { keys: [await publicJwk(keys['rsa'])] }, scopes: ['api:read'] },
      { clientId: 'ps-only', jwks: { keys: [await publicJwk(keys['ps'], { alg: 'PS256', use: 'sig' })] }, scopes: [] },
      { clientId: 'ed', jwks: { keys: [await publicJwk(keys['ed'])] }, scopes: [] },
      { clientId: 'many', jwks: { keys: [await publicJwk(keys['es1']), await publicJwk(keys['es2'])] }, scopes: [] },
      { clientId: 'both', jwks: { keys: [await publicJwk(keys['es1'])] }, jwtSecret: JWT_SECRET, scopes: [] },
      { clientId: 'secret-only', clientSecret: SECRET, scopes: [] },
      { clientId: 'quirky', jwks: { keys: [await publicJwk(keys['es1'])] }, scopes: [], quirks: ['errors-as-400'] },
    ],
  })
})
after(() => server.close())
beforeEach(() => server.log.clear())

/** An assertion for `clientId` at the issuer, now on the server's clock; `overrides` change claims. */
function assertion(key: CryptoKey | KeyObject | Uint8Array, header: { alg: string; kid?: string }, clientId: string, overrides = {}) {
  return signAssertion(key, header, assertionClaims(clientId, server.issuer, clock.now(), overrides))
}

async function refusedWith(jwt: string, description: string, extra: Record<string, string> = {}): Promise<void> {
  const response = await postToken(server.tokenUrl, assertionForm(jwt, extra))
  assert.equal(response.status, 401, response.text)
  assert.equal(response.headers.get('www-authenticate'), 'Basic realm="reference-server"')
  assert.deepEqual(response.json, { error: 'invalid_client', error_description: description })
  assert.ok(!response.text.includes(jwt.split('.')[2] || jwt), 'the assertion is never echoed')
}

describe('RFC 7523 §2.2: accepted assertions', () => {
  const cases: [string, string, string, string | undefined][] = [
    ['ES256', 'es1', 'es', 'es-1'],
    ['RS256', 'rsa', 'rsa', undefined],
    ['PS256', 'rsa', 'rsa', undefined],
    ['PS256', 'ps', 'ps-only', undefined],
    ['EdDSA', 'ed', 'ed', undefined],
    ['Ed25519', 'ed', 'ed', undefined], // RFC 9864's fully specified name, what oauth4webapi sends
  ]
  for (const [alg, key, clientId, kid] of cases) {
    test(`${alg} for ${clientId}: 200, the log says private_key_jwt, ${alg}${kid ? ` and kid ${kid}` : ''}`, async () => {
      const jwt = await assertion(keys[key]!.privateKey, kid === undefined ? { alg } : { alg, kid }, clientId)
      const response = await postToken(server.tokenUrl, assertionForm(jwt))
      assert.equal(response.status, 200, response.text)
      assert.equal(response.json['token_type'], 'Bearer')
      const [entry] = server.log.tokenRequests()
      assert.equal(entry?.authMethod, 'private_key_jwt')
      assert.equal(entry?.clientId, clientId)
      assert.deepEqual(entry?.clientAssertion, kid === undefined ? { alg } : { alg, kid })
    })
  }

  test('the kid selects the key: es-2 verifies with the second key, and the first key never checks it', async () => {
    const second = await assertion(keys['es2']!.privateKey, { alg: 'ES256', kid: 'es-2' }, 'es')
    assert.equal((await postToken(server.tokenUrl, assertionForm(second))).status, 200)
    const mislabelled = await assertion(keys['es2']!.privateKey, { alg: 'ES256', kid: 'es-1' }, 'es')
    await refusedWith(mislabelled, 'the assertion signature does not verify')
  })

  test('without a kid, each key that fits the alg is tried (jose JWKSMultipleMatchingKeys)', async () => {
    for (const key of ['es1', 'es2']) {
      const jwt = await assertion(keys[key]!.privateKey, { alg: 'ES256' }, 'many')
      assert.equal((await postToken(server.tokenUrl, assertionForm(jwt))).status, 200, key)
    }
    await refusedWith(await assertion(keys['stranger']!.privateKey, { alg: 'ES256' }, 'many'), 'the assertion signature does not verify')
  })

  test('a body client_id naming the same client is fine (oauth4webapi sends one)', async () => {
    const jwt = await assertion(keys['es1']!.privateKey, { alg: 'ES256', kid: 'es-1' }, 'es')
    assert.equal((await postToken(server.tokenUrl, assertionForm(jwt, { client_id: 'es' }))).status, 200)
  })
})

describe('14, RFC 7523 §3: refused assertions are 401 invalid_client with a precise description', () => {
  test('bad signature: another key, or a changed payload', async () => {
    const stranger = await assertion(keys['stranger']!.privateKey, { alg: 'ES256', kid: 'es-1' }, 'es')
    await refusedWith(stranger, 'the assertion signature does not verify')
    const jwt = await assertion(keys['es1']!.privateKey, { alg: 'ES256', kid: 'es-1' }, 'es')
    const [header, , signature] = jwt.split('.')
    const changed = Buffer.from(JSON.stringify(assertionClaims('es', server.issuer, clock.now()))).toString('base64url')
    await refusedWith(`${header}.${changed}.${signature}`, 'the assertion signature does not verify')
  })

  test('wrong alg: RS256 for a key registered for PS256 only, ES384 for a P-256 key', async () => {
    const rs256 = await assertion(keys['ps']!.privateKey, { alg: 'RS256' }, 'ps-only')
    await refusedWith(rs256, 'no registered key of the client fits the assertion alg')
    const es384 = await assertion((await generateKeyPair('ES384')).privateKey, { alg: 'ES384', kid: 'es-1' }, 'es')
    await refusedWith(es384, 'no registered key of the client has the assertion kid')
  })

  test('an alg outside the allowlist (ES256K, RS1) is refused before any key is looked at', async () => {
    for (const alg of ['ES256K', 'RS1', 'A256GCM']) {
      const jws = unsignedJws({ alg, kid: 'es-1' }, assertionClaims('es', server.issuer, clock.now()), 'c2lnbmF0dXJl')
      await refusedWith(jws, 'the assertion alg is not one private_key_jwt takes (token_endpoint_auth_signing_alg_values_supported)')
    }
  })

  test('alg none, with or without a signature, is never accepted', async () => {
    const claims = assertionClaims('es', server.issuer, clock.now())
    await refusedWith(unsignedJws({ alg: 'none' }, claims), 'unsigned assertions (alg none) are never accepted')
    await refusedWith(unsignedJws({ alg: 'none', kid: 'es-1' }, claims, 'c2ln'), 'unsigned assertions (alg none) are never accepted')
  })

  test('algorithm confusion: HS256 "signed" with the public key bytes never meets the public key', async () => {
    const claims = (clientId: string) => assertionClaims(clientId, server.issuer, clock.now())
    const pem = new TextEncoder().encode(await exportSPKI(keys['es1']!.publicKey))
    const jwkBytes = new TextEncoder().encode(JSON.stringify(await publicJwk(keys['es1']!)))
    for (const bytes of [pem, jwkBytes]) {
      // A client with keys only: HS256 goes to client_secret_jwt, for which it has nothing registered.
      const keysOnly = await signAssertion(bytes, { alg: 'HS256', kid: 'es-1' }, claims('es'))
      await refusedWith(keysOnly, 'the client has no jwtSecret registered for client_secret_jwt')
      // A client with keys and a jwtSecret: the HMAC key is the jwtSecret, never a public key.
      await refusedWith(await signAssertion(bytes, { alg: 'HS256' }, claims('both')), 'the assertion signature does not verify')
    }
    assert.ok(server.log.tokenRequests().every((entry) => entry.authMethod === 'client_secret_jwt'))
  })

  test('an unknown kid', async () => {
    const jwt = await assertion(keys['es1']!.privateKey, { alg: 'ES256', kid: 'rotated-away' }, 'es')
    await refusedWith(jwt, 'no registered key of the client has the assertion kid')
  })

  test('a client without jwks and an unknown client read alike', async () => {
    const description = 'the client has no jwks registered for private_key_jwt'
    await refusedWith(await assertion(keys['es1']!.privateKey, { alg: 'ES256' }, 'secret-only'), description)
    await refusedWith(await assertion(keys['es1']!.privateKey, { alg: 'ES256' }, 'nobody'), description)
  })

  test('not a JWT at all, or without sub or client_id to name the client', async () => {
    await refusedWith('not-a-jwt', 'client_assertion is not a JWT')
    await refusedWith(unsignedJws({ alg: 'ES256' }, { iss: 'es' }, 'c2ln'), 'client_assertion has no sub naming the client')
    // With the body's client_id the client is known, and the missing sub is the refusal.
    const noSub = await assertion(keys['es1']!.privateKey, { alg: 'ES256', kid: 'es-1' }, 'es', { sub: undefined })
    await refusedWith(noSub, 'the assertion has no sub claim', { client_id: 'es' })
  })

  test('a client_secret never verifies an assertion, and an assertion is no client_secret', async () => {
    const jwt = await assertion(new TextEncoder().encode(SECRET.padEnd(32, '!')), { alg: 'HS256' }, 'secret-only')
    await refusedWith(jwt, 'the client has no jwtSecret registered for client_secret_jwt')
  })
})

describe('13: one method per request, one client', () => {
  test('an assertion plus Basic, or plus client_secret, is 400 invalid_request', async () => {
    const jwt = await assertion(keys['es1']!.privateKey, { alg: 'ES256', kid: 'es-1' }, 'es')
    const withBasic = await postToken(server.tokenUrl, assertionForm(jwt), { authorization: basic('secret-only', SECRET) })
    assert.equal(withBasic.status, 400)
    assert.deepEqual(withBasic.json, { error: 'invalid_request', error_description: 'more than one client authentication method' })
    const withSecret = await postToken(server.tokenUrl, assertionForm(jwt, { client_secret: SECRET }))
    assert.equal(withSecret.status, 400)
    assert.equal(withSecret.json['error'], 'invalid_request')
    assert.deepEqual(
      server.log.tokenRequests().map((entry) => entry.authMethod),
      ['multiple', 'multiple'],
    )
  })

  test('a body client_id naming another client than the assertion sub is 400 invalid_request', async () => {
    const jwt = await assertion(keys['es1']!.privateKey, { alg: 'ES256', kid: 'es-1' }, 'es')
    const response = await postToken(server.tokenUrl, assertionForm(jwt, { client_id: 'rsa' }))
    assert.equal(response.status, 400)
    assert.deepEqual(response.json, { error: 'invalid_request', error_description: 'client_id does not match the client_assertion sub' })
  })
})

describe('30, 31: introspection and revocation take private_key_jwt too', () => {
  test('aud may be the issuer, the token endpoint or the endpoint called; another endpoint is refused', async () => {
    const first = await assertion(keys['es1']!.privateKey, { alg: 'ES256', kid: 'es-1' }, 'es')
    const token = (await postToken(server.tokenUrl, assertionForm(first))).json['access_token'] as string
    for (const aud of [server.issuer, server.tokenUrl, server.introspectionUrl]) {
      const jwt = await assertion(keys['es1']!.privateKey, { alg: 'ES256', kid: 'es-1' }, 'es', { aud })
      const response = await postForm(server.introspectionUrl, { ...assertionForm(jwt), token })
      assert.equal(response.status, 200, `${aud}: ${response.text}`)
      assert.equal(response.json['active'], true)
    }
    const atRevocation = await assertion(keys['es1']!.privateKey, { alg: 'ES256', kid: 'es-1' }, 'es', { aud: server.revocationUrl })
    const refused = await postForm(server.introspectionUrl, { ...assertionForm(atRevocation), token })
    assert.equal(refused.status, 401)
    assert.equal(refused.json['error_description'], 'the assertion aud must contain the issuer or the token endpoint URL')
    const revoke = await assertion(keys['es1']!.privateKey, { alg: 'ES256', kid: 'es-1' }, 'es', { aud: server.revocationUrl })
    assert.equal((await postForm(server.revocationUrl, { ...assertionForm(revoke), token })).status, 200)
    const entries = server.log.entries.filter((entry) => entry.path !== '/token')
    assert.ok(entries.every((entry) => entry.authMethod === 'private_key_jwt' && entry.params['token'] === undefined))
  })
})

describe('faults and quirks keep working with assertions', () => {
  test("a fault scripted for the assertion's client applies, before the assertion is checked", async () => {
    server.faults.add({ type: 'status', status: 503 }, { clientId: 'es' })
    const jwt = await assertion(keys['es1']!.privateKey, { alg: 'ES256', kid: 'es-1' }, 'es')
    assert.equal((await postToken(server.tokenUrl, assertionForm(jwt))).status, 503)
    // The fault answered before verification, so the jti is still unused.
    assert.equal((await postToken(server.tokenUrl, assertionForm(jwt))).status, 200)
    assert.equal(server.faults.pending, 0)
  })

  test("the claimed client's quirks shape a refusal (errors-as-400)", async () => {
    const response = await postToken(server.tokenUrl, assertionForm(await assertion(keys['stranger']!.privateKey, { alg: 'ES256' }, 'quirky')))
    assert.equal(response.status, 400)
    assert.equal(response.json['error'], 'invalid_client')
    assert.deepEqual(server.log.tokenRequests()[0]?.quirks, ['errors-as-400'])
  })
})

describe('the log and the server never show an assertion', () => {
  test('the JSON of the log and inspect(server) hold no part of any assertion sent', async () => {
    const sent: string[] = []
    const send = async (jwt: string, extra: Record<string, string> = {}) => {
      sent.push(jwt)
      await postToken(server.tokenUrl, assertionForm(jwt, extra))
      await postForm(server.introspectionUrl, { ...assertionForm(jwt), token: 'x' })
    }
    await send(await assertion(keys['es1']!.privateKey, { alg: 'ES256', kid: 'es-1' }, 'es'))
    await send(await assertion(keys['stranger']!.privateKey, { alg: 'ES256', kid: 'es-1' }, 'es'))
    await send(await assertion(keys['es1']!.privateKey, { alg: 'ES256' }, 'es'), { client_secret: SECRET })
    await send(await assertion(new TextEncoder().encode(JWT_SECRET), { alg: 'HS256' }, 'both'))
    const everything = JSON.stringify(server.log) + inspect(server, { depth: Infinity }) + JSON.stringify(server.log.entries)
    for (const jwt of sent) {
      for (const part of jwt.split('.')) assert.ok(!everything.includes(part), 'no header, payload or signature of an assertion')
    }
    assert.ok(!everything.includes(JWT_SECRET))
    const entries = server.log.entries
    assert.equal(entries.length, 8)
    assert.ok(entries.every((entry) => entry.params['client_assertion'] === undefined))
    assert.ok(entries.every((entry) => entry.params['client_assertion_type']?.length === 1))
    assert.deepEqual(entries[0]?.clientAssertion, { alg: 'ES256', kid: 'es-1' })
    assert.deepEqual(entries[6]?.clientAssertion, { alg: 'HS256' })
  })

  test('an alg or kid over 256 characters is left out of the log', async () => {
    const kid = 'k'.repeat(257)
    await postToken(server.tokenUrl, assertionForm(await assertion(keys['es1']!.privateKey, { alg: 'ES256', kid }, 'es')))
    assert.deepEqual(server.log.tokenRequests()[0]?.clientAssertion, { alg: 'ES256' })
  })
})

describe('registration of jwks', () => {
  const rejects = async (jwks: unknown, name: RegExp, file = false) => {
    const client = { clientId: 'svc', jwks, scopes: [] }
    let options: Parameters<typeof startReferenceServer>[0] = { clients: [client as never] }
    let dir: string | undefined
    if (file) {
      dir = await mkdtemp(join(tmpdir(), 'reference-server-jwks-'))
      const path = join(dir, 'clients.json')
      await writeFile(path, JSON.stringify({ clients: [client] }))
      options = { clientsFile: path }
    }
    try {
      await assert.rejects(startReferenceServer(options), (error: NodeJS.ErrnoException) => {
        assert.ok(error instanceof TypeError)
        assert.equal(error.code, 'ERR_INVALID_ARG_VALUE')
        assert.match(error.message, name)
        const secrets = JSON.stringify(jwks).match(/"(?:d|p|q|dp|dq|qi|k)":"([^"]+)"/g) ?? []
        for (const secret of secrets) assert.ok(!error.message.includes(secret.split('"')[3] as string), 'no key material in the message')
        return true
      })
    } finally {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    }
  }

  test('a private JWK is a TypeError naming the key, in options and in a clients file', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const privateJwk = await exportJWK(privateKey)
    await rejects({ keys: [privateJwk] }, /^options\.clients\[0\]\.jwks\.keys\[0\] is a private key \(it has d\): register the public key only$/)
    await rejects({ keys: [privateJwk] }, /^options\.clientsFile: clients\[0\]\.jwks\.keys\[0\] is a private key/, true)
    const rsa = await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey)
    await rejects({ keys: [await publicJwk(keys['es1']!), rsa] }, /^options\.clients\[0\]\.jwks\.keys\[1\] is a private key \(it has d\)/)
  })

  test('other keys that cannot verify a private_key_jwt assertion', async () => {
    const es = await publicJwk(keys['es1']!)
    const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' })
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' })
    const table: [unknown, RegExp][] = [
      [[es], /jwks must be a JWK Set/],
      [{ keys: [] }, /jwks\.keys must hold at least one public key/],
      [{ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }, /keys\[0\] is a symmetric key \(k\); a shared secret for client_secret_jwt is a jwtSecret/],
      [{ keys: ['a string'] }, /keys\[0\] must be a JWK object/],
      [{ keys: [{ ...es, kty: 'RSA ' }] }, /keys\[0\]\.kty must be 'EC', 'RSA' or 'OKP'/],
      [{ keys: [x25519] }, /keys\[0\]\.crv must be Ed25519 for kty OKP/],
      [{ keys: [{ ...es, crv: 'secp256k1' }] }, /keys\[0\]\.crv must be P-256, P-384, P-521 for kty EC/],
      [{ keys: [weakRsa] }, /keys\[0\] is an RSA key under 2048 bits/],
      [{ keys: [{ ...es, x: 'AAAA' }] }, /keys\[0\] is not a valid public JWK/],
      [{ keys: [{ ...es, alg: 'RS256' }] }, /keys\[0\]\.alg does not fit the key/],
      [{ keys: [{ ...es, alg: 'ES384' }] }, /keys\[0\]\.alg does not fit the key/],
      [{ keys: [{ ...es, alg: 'HS256' }] }, /keys\[0\]\.alg must be one of RS256/],
      [{ keys: [{ ...es, alg: 'none' }] }, /keys\[0\]\.alg must be one of/],
      [{ keys: [{ ...es, use: 'enc' }] }, /keys\[0\]\.use must be 'sig'/],
      [{ keys: [{ ...es, key_ops: ['sign'] }] }, /keys\[0\]\.key_ops must be an array including 'verify'/],
      [{ keys: [{ ...es, kid: '' }] }, /keys\[0\]\.kid must be a non-empty string/],
      [{ keys: [{ ...es, kid: 'a' }, { ...(await publicJwk(keys['es2']!)), kid: 'a' }] }, /keys\[1\]\.kid is the kid of another key of the set/],
    ]
    for (const [jwks, message] of table) await rejects(jwks, message)
  })

  test('a client with jwks only needs no secret; a client with nothing is refused', async () => {
    const only = await startReferenceServer({ clients: [{ clientId: 'svc', jwks: { keys: [await publicJwk(keys['es1']!)] }, scopes: [] }] })
    await only.close()
    await assert.rejects(startReferenceServer({ clients: [{ clientId: 'svc', scopes: [] }] }), {
      message: 'options.clients[0] needs a credential: a clientSecret, a secretHash, an entry in secrets, jwks, a jwtSecret or tlsClientAuth',
    })
  })

  test('a change to the registered jwks object after start has no effect', async () => {
    const jwks = { keys: [await publicJwk(keys['es1']!)] }
    const own = await startReferenceServer({ throttle: false, clients: [{ clientId: 'svc', jwks, scopes: [] }] })
    try {
      ;(jwks.keys[0] as { x?: string | undefined }).x = (await publicJwk(keys['es2']!)).x
      const claims = assertionClaims('svc', own.issuer, Date.now())
      const response = await postToken(own.tokenUrl, assertionForm(await signAssertion(keys['es1']!.privateKey, { alg: 'ES256' }, claims)))
      assert.equal(response.status, 200, response.text)
    } finally {
      await own.close()
    }
  })
})
