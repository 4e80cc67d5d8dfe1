// Checklist item 28: the signing keys: RFC 7638 thumbprints as kid, JWS signatures, rotation.
import assert from 'node:assert/strict'
import { createPublicKey, verify } from 'node:crypto'
import { test } from 'node:test'
import { inspect } from 'node:util'
import { SigningKeys } from '../../src/server/tokens/signing-keys.js'
import { jwkThumbprint } from './helpers.js'

test('28: jwkThumbprint matches the RFC 7638 and RFC 8037 examples', () => {
  const rsa = {
    kty: 'RSA' as const,
    e: 'AQAB',
    n:
      '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs' +
      'tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n9' +
      '1CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  }
  assert.equal(jwkThumbprint(rsa), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
  const okp = { kty: 'OKP' as const, crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }
  assert.equal(jwkThumbprint(okp), 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k')
})

test('28: sign() makes a compact JWS that node:crypto verifies with the published key', async () => {
  for (const algorithm of ['ES256', 'RS256', 'EdDSA'] as const) {
    const keys = await SigningKeys.generate(algorithm)
    const jws = keys.sign({ typ: 'at+jwt' }, { sub: 'svc' })
    const [header, payload, signature] = jws.split('.') as [string, string, string]
    assert.deepEqual(JSON.parse(Buffer.from(header, 'base64url').toString()), { alg: algorithm, typ: 'at+jwt', kid: keys.currentKid })
    assert.deepEqual(JSON.parse(Buffer.from(payload, 'base64url').toString()), { sub: 'svc' })
    const [jwk] = keys.jwks().keys
    assert.ok(jwk)
    assert.equal(jwk.kid, jwkThumbprint(jwk))
    const publicKey = createPublicKey({ key: { ...jwk }, format: 'jwk' })
    const data = Buffer.from(`${header}.${payload}`)
    const bytes = Buffer.from(signature, 'base64url')
    const ok =
      algorithm === 'ES256'
        ? verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, bytes)
        : verify(algorithm === 'RS256' ? 'sha256' : null, data, publicKey, bytes)
    assert.ok(ok, algorithm)
  }
})

test('28: rotate() keeps the current and the previous key, never more', async () => {
  const keys = await SigningKeys.generate('ES256')
  const first = keys.currentKid
  const second = await keys.rotate()
  assert.equal(keys.currentKid, second)
  assert.deepEqual(keys.jwks().keys.map((key) => key.kid), [second, first])
  assert.ok(keys.has(first))
  const third = await keys.rotate()
  assert.deepEqual(keys.jwks().keys.map((key) => key.kid), [third, second])
  assert.equal(keys.has(first), false)
  assert.equal(new Set([first, second, third]).size, 3)
  // Nothing private shows.
  const shown = inspect(keys, { depth: Infinity, showHidden: true }) + JSON.stringify(keys)
  assert.ok(!/"d"|PRIVATE/.test(shown), shown)
})
