import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { basicAuthorization, encodingMismatchHint } from '../../src/auth/client-authentication.js'
import { formDecode, formEncode, formEncodingChanges } from '../../src/auth/form-encoding.js'
import { PLAIN_SECRET, RESERVED_SECRET, SPACE_PLUS_SECRET } from '../helpers/secrets.js'

test('form encoding table (RFC 6749 Appendix B with the WHATWG character set)', () => {
  const rows: Array<[string, string]> = [
    ['svc', 'svc'],
    ['my-client_1.0*', 'my-client_1.0*'],
    ['s3cr:et%', 's3cr%3Aet%25'],
    ['a b', 'a+b'],
    ['a+b', 'a%2Bb'],
    ['&=/?#', '%26%3D%2F%3F%23'],
    ['~!\'()', '%7E%21%27%28%29'],
    ['é€😀', '%C3%A9%E2%82%AC%F0%9F%98%80'],
    ['', ''],
  ]
  for (const [raw, encoded] of rows) {
    assert.equal(formEncode(raw), encoded, raw)
    assert.equal(formDecode(encoded), raw, encoded)
    assert.equal(formEncodingChanges(raw), raw !== encoded, raw)
  }
})

test('strict decoding refuses malformed escapes', () => {
  for (const bad of ['%', '%2', '%zz', 'a%G1', '%C3']) assert.throws(() => formDecode(bad), URIError, bad)
})

test('property: any string round-trips through encode and decode', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), (value) => formDecode(formEncode(value)) === value),
    { numRuns: 2000 },
  )
})

test('property: encoded values contain only the serializer safe set, so Basic never has a raw colon', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (value) => /^[A-Za-z0-9*\-._+%]*$/.test(formEncode(value))),
    { numRuns: 2000 },
  )
})

test('property: a Basic header splits back into the exact id and secret', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (id, secret) => {
      const header = basicAuthorization(id, secret, 'form')
      const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      return formDecode(decoded.slice(0, colon)) === id && formDecode(decoded.slice(colon + 1)) === secret
    }),
    { numRuns: 1000 },
  )
})

test('Basic header: form-encoded by default, raw on request', () => {
  assert.equal(basicAuthorization('svc', 's3cr:et%', 'form'), `Basic ${Buffer.from('svc:s3cr%3Aet%25').toString('base64')}`)
  assert.equal(basicAuthorization('svc', 's3cr:et%', 'raw'), `Basic ${Buffer.from('svc:s3cr:et%').toString('base64')}`)
  assert.equal(basicAuthorization('svc', 'plain', 'form'), basicAuthorization('svc', 'plain', 'raw'))
})

test('the invalid_client hint appears only when encoding changes the credentials, and never holds them', () => {
  const base = { clientId: 'svc', authMethod: 'client_secret_basic', basicEncoding: 'form' } as const
  assert.equal(encodingMismatchHint({ ...base, clientSecret: PLAIN_SECRET }), undefined)
  const hint = encodingMismatchHint({ ...base, clientSecret: RESERVED_SECRET })
  assert.match(hint ?? '', /basicEncoding: 'raw'/)
  assert.match(hint ?? '', /client_secret_post/)
  assert.ok(!hint?.includes('s3cr'))
  assert.match(encodingMismatchHint({ ...base, basicEncoding: 'raw', clientSecret: SPACE_PLUS_SECRET }) ?? '', /basicEncoding: 'form'/)
  assert.equal(encodingMismatchHint({ ...base, authMethod: 'client_secret_post', clientSecret: SPACE_PLUS_SECRET }), undefined)
})
