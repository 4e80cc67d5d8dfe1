// Basic parsing (App. B decoding) and method detection, as tables.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { extractCredentials } from '../../src/server/clients/client-authentication.js'
import { parseBasicAuthorization } from '../../src/server/clients/methods/client-secret-basic.js'
import { JWT_BEARER, SECRET, basic, rawBasic } from './helpers.js'

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64')

test('parseBasicAuthorization decodes base64, splits on the first colon, form-decodes each part', () => {
  const table: [string, ReturnType<typeof parseBasicAuthorization>][] = [
    [basic('svc', SECRET), { clientId: 'svc', secret: SECRET, formEncoded: true }],
    [basic('a:b c', 'x'), { clientId: 'a:b c', secret: 'x', formEncoded: true }],
    [rawBasic('svc', 'plain'), { clientId: 'svc', secret: 'plain', formEncoded: false }],
    [rawBasic('svc', 'a:b'), { clientId: 'svc', secret: 'a:b', formEncoded: false }],
    [rawBasic('svc', ''), { clientId: 'svc', secret: '', formEncoded: false }],
    ['basic ' + b64('svc:x'), { clientId: 'svc', secret: 'x', formEncoded: false }],
    ['BASIC  ' + b64('svc:x'), { clientId: 'svc', secret: 'x', formEncoded: false }],
    ['Basic ' + b64('svc:caf%C3%A9'), { clientId: 'svc', secret: 'café', formEncoded: true }],
    ['Bearer abc', 'not-basic'],
    ['Basicx ' + b64('a:b'), 'not-basic'],
    ['Basic', 'malformed'],
    ['Basic ', 'malformed'],
    ['Basic ' + b64('no-colon'), 'malformed'],
    ['Basic ' + b64('svc:x').replace(/=+$/, ''), 'malformed'],
    ['Basic c3ZjOnh=', 'malformed'], // non-canonical final bits
    ['Basic c3ZjOh==', 'malformed'], // non-canonical final bits before ==
    ['Basic ' + Buffer.from([0x73, 0x3a, 0xff]).toString('base64'), 'malformed'], // not UTF-8
    ['Basic ' + b64('svc:%zz'), 'bad-escape'],
    ['Basic ' + b64('%:x'), 'bad-escape'],
  ]
  for (const [header, expected] of table) assert.deepEqual(parseBasicAuthorization(header), expected, header)
})

test('parseBasicAuthorization takes the parts as they are when rawFor says so (the raw-basic quirk)', () => {
  const always = () => true
  const table: [string, ReturnType<typeof parseBasicAuthorization>][] = [
    [rawBasic('svc', '100%zz'), { clientId: 'svc', secret: '100%zz', formEncoded: false }],
    [rawBasic('%', 'x'), { clientId: '%', secret: 'x', formEncoded: false }],
    [rawBasic('svc', 'a+b:c d'), { clientId: 'svc', secret: 'a+b:c d', formEncoded: true }],
    [basic('svc', SECRET), { clientId: 'svc', secret: 's3cr%3Aet%25+%2B%26%3D%2Fx', formEncoded: true }],
    ['Basic ' + b64('no-colon'), 'malformed'],
  ]
  for (const [header, expected] of table) assert.deepEqual(parseBasicAuthorization(header, always), expected, header)
  const seen: [string, string | undefined][] = []
  parseBasicAuthorization(rawBasic('a%2Bb', 'x'), (raw, decoded) => (seen.push([raw, decoded]), false))
  parseBasicAuthorization(rawBasic('a%zz', 'x'), (raw, decoded) => (seen.push([raw, decoded]), false))
  assert.deepEqual(seen, [
    ['a%2Bb', 'a+b'],
    ['a%zz', undefined],
  ])
})

test('extractCredentials finds the method and refuses mixtures', () => {
  const form = (pairs: [string, string][]) => new Map(pairs.map(([name, value]) => [name, [value]]))
  const table: [string | undefined, boolean, [string, string][], Record<string, unknown>][] = [
    [undefined, false, [], { ok: true, method: 'none', clientId: undefined }],
    [undefined, false, [['client_id', 'svc']], { ok: true, method: 'none', clientId: 'svc' }],
    [undefined, false, [['client_id', 'svc'], ['client_secret', 'x']], { ok: true, method: 'client_secret_post', clientId: 'svc' }],
    [undefined, false, [['client_secret', 'x']], { ok: true, method: 'client_secret_post', clientId: undefined }],
    [basic('svc', 'x'), false, [], { ok: true, method: 'client_secret_basic', clientId: 'svc' }],
    [basic('svc', 'x'), false, [['client_id', 'svc']], { ok: true, method: 'client_secret_basic', clientId: 'svc' }],
    [basic('svc', 'x'), false, [['client_id', '']], { ok: true, method: 'client_secret_basic', clientId: 'svc' }],
    [basic('svc', 'x'), false, [['client_id', 'other']], { ok: false, status: 400, error: 'invalid_request' }],
    [basic('svc', 'x'), false, [['client_secret', 'x']], { ok: false, method: 'multiple', status: 400, error: 'invalid_request' }],
    [basic('svc', 'x'), true, [], { ok: false, status: 400, error: 'invalid_request' }],
    ['Basic ' + b64('svc:%'), false, [], { ok: false, status: 400, error: 'invalid_request' }],
    ['Basic !!!!', false, [], { ok: false, status: 401, error: 'invalid_client' }],
    ['Digest x', false, [], { ok: false, status: 401, error: 'invalid_client' }],
  ]
  for (const [authorization, repeated, pairs, expected] of table) {
    const result = extractCredentials(authorization, repeated, form(pairs)) as unknown as Record<string, unknown>
    for (const [key, value] of Object.entries(expected)) {
      assert.equal(result[key], value, `${authorization} ${JSON.stringify(pairs)} ${key}`)
    }
  }
})

test('extractCredentials: a client assertion is private_key_jwt or client_secret_jwt by its alg (RFC 7523 §2.2)', () => {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const jwt = (alg: unknown, claims: Record<string, unknown> = { sub: 'svc' }) => `${part({ alg, kid: 'k1' })}.${part(claims)}.c2ln`
  const type = ['client_assertion_type', JWT_BEARER] as [string, string]
  const form = (pairs: [string, string][]) => new Map(pairs.map(([name, value]) => [name, [value]]))
  const table: [string | undefined, [string, string][], Record<string, unknown>][] = [
    [undefined, [type, ['client_assertion', jwt('ES256')]], { ok: true, method: 'private_key_jwt', clientId: 'svc' }],
    [undefined, [type, ['client_assertion', jwt('HS256')]], { ok: true, method: 'client_secret_jwt', clientId: 'svc' }],
    [undefined, [type, ['client_assertion', jwt('none')]], { ok: true, method: 'private_key_jwt', clientId: 'svc' }],
    [undefined, [type, ['client_assertion', jwt('ES256', {})], ['client_id', 'svc']], { ok: true, clientId: 'svc' }],
    [undefined, [type, ['client_assertion', jwt('ES256')], ['client_id', 'other']], { ok: false, status: 400, error: 'invalid_request' }],
    [undefined, [type, ['client_assertion', jwt('ES256')], ['client_secret', 'x']], { ok: false, method: 'multiple', status: 400 }],
    [basic('svc', 'x'), [type, ['client_assertion', jwt('HS256')]], { ok: false, method: 'multiple', status: 400 }],
    [undefined, [type], { ok: false, method: 'private_key_jwt', status: 401, error: 'invalid_client' }],
    [undefined, [['client_assertion', jwt('ES256')]], { ok: false, method: 'private_key_jwt', status: 401 }],
    [undefined, [type, ['client_assertion', 'a.b']], { ok: false, method: 'private_key_jwt', status: 401 }],
    [undefined, [type, ['client_assertion', jwt('ES256', {})]], { ok: false, status: 401, error: 'invalid_client' }],
  ]
  for (const [authorization, pairs, expected] of table) {
    const result = extractCredentials(authorization, false, form(pairs)) as unknown as Record<string, unknown>
    for (const [key, value] of Object.entries(expected)) assert.equal(result[key], value, `${JSON.stringify(pairs)} ${key}`)
  }
  const ok = extractCredentials(undefined, false, form([type, ['client_assertion', jwt('ES256')]]))
  assert.ok(ok.ok)
  assert.deepEqual(ok.assertion, { alg: 'ES256', kid: 'k1' })
})
