// What an invalid_client error says about its cause: the throttle's lockout first, then whitespace
// around the id or secret, then the encoding mismatch; never the id or secret themselves.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { encodingMismatchHint, invalidClientHint, type ClientCredentials } from '../../src/auth/client-authentication.js'
import { formEncode } from '../../src/auth/form-encoding.js'
import { PLAIN_SECRET, RESERVED_SECRET, SPACE_PLUS_SECRET } from '../helpers/secrets.js'

const base: ClientCredentials = { clientId: 'svc', clientSecret: PLAIN_SECRET, authMethod: 'client_secret_basic', basicEncoding: 'form' }
const THROTTLED = 'the server is refusing this client id for now after failed attempts (brute-force protection), the right secret included'

test('a 429, or any answer with Retry-After, is the throttle: how long to wait, and nothing about encoding', () => {
  const reserved = { ...base, clientSecret: RESERVED_SECRET }
  const rows: Array<[string, ClientCredentials, number, number | undefined, string]> = [
    ['429 with Retry-After: 60', reserved, 429, 60_000, `${THROTTLED}; retry after 60 s`],
    ['429, Retry-After in ms rounds up to whole seconds', reserved, 429, 41_200, `${THROTTLED}; retry after 42 s`],
    ['429 with Retry-After: 0', reserved, 429, 0, `${THROTTLED}; retry after 1 s`],
    ['429 without Retry-After', reserved, 429, undefined, `${THROTTLED}; retry later`],
    ['400 with Retry-After (errors-as-400 servers)', reserved, 400, 30_000, `${THROTTLED}; retry after 30 s`],
    ['401 with Retry-After', base, 401, 5_000, `${THROTTLED}; retry after 5 s`],
    ['raw encoding, post method: same', { ...reserved, basicEncoding: 'raw', authMethod: 'client_secret_post' }, 429, 60_000, `${THROTTLED}; retry after 60 s`],
  ]
  for (const [name, credentials, status, retryAfterMs, expected] of rows) {
    const hint = invalidClientHint(credentials, status, retryAfterMs)
    assert.equal(hint, expected, name)
    assert.doesNotMatch(hint ?? '', /encod/i, name)
  }
})

test('a throttled client whose secret carries a newline: the lockout, then the likely reason for the failures', () => {
  const hint = invalidClientHint({ ...base, clientSecret: 's3cret\n' }, 429, 60_000) ?? ''
  assert.ok(hint.startsWith(`${THROTTLED}; retry after 60 s; `), hint)
  assert.match(hint, /the client secret begins or ends with whitespace \(a newline from a file or an environment variable\?\), which would explain the failed attempts$/)
  assert.doesNotMatch(hint, /encod/i)
})

test('whitespace around the secret or id comes first, even though form-encoding would change it too', () => {
  const rows: Array<[string, Partial<ClientCredentials>, RegExp]> = [
    ['a trailing newline', { clientSecret: 's3cret\n' }, /^the client secret begins or ends with whitespace/],
    ['a trailing CRLF', { clientSecret: 's3cret\r\n' }, /^the client secret begins/],
    ['a leading space', { clientSecret: ' s3cret' }, /^the client secret begins/],
    ['a tab', { clientSecret: 's3cret\t' }, /^the client secret begins/],
    ['a byte-order mark', { clientSecret: '\uFEFFs3cret' }, /^the client secret begins/],
    ['the id', { clientId: 'svc\n' }, /^the client id begins or ends with whitespace/],
    ['both', { clientId: ' svc', clientSecret: 's3cret ' }, /^the client id and secret begin or end with whitespace/],
    ['with client_secret_post as well', { clientSecret: 's3cret\n', authMethod: 'client_secret_post' }, /^the client secret begins/],
  ]
  for (const [name, change, pattern] of rows) {
    const hint = invalidClientHint({ ...base, ...change }, 401, undefined) ?? ''
    assert.match(hint, pattern, name)
    assert.match(hint, /servers compare credentials exactly, so remove the whitespace$/, name)
    assert.doesNotMatch(hint, /basicEncoding/, `${name}: the whitespace alone is what form-encoding would change`)
  }
})

test('whitespace and reserved characters: the whitespace first, then the encoding hint', () => {
  const hint = invalidClientHint({ ...base, clientSecret: `${RESERVED_SECRET}\n` }, 401, undefined) ?? ''
  assert.match(hint, /^the client secret begins or ends with whitespace .*; also, the client id or secret contains characters/)
  assert.match(hint, /basicEncoding: 'raw'/)
  // Neither: the encoding hint exactly as encodingMismatchHint gives it, or nothing.
  const rows: ClientCredentials[] = [
    base,
    { ...base, clientSecret: RESERVED_SECRET },
    { ...base, clientSecret: SPACE_PLUS_SECRET, basicEncoding: 'raw' },
    { ...base, clientSecret: SPACE_PLUS_SECRET, authMethod: 'client_secret_post' },
    { ...base, clientId: 'my client' },
  ]
  for (const credentials of rows) {
    for (const status of [400, 401]) {
      assert.equal(invalidClientHint(credentials, status, undefined), encodingMismatchHint(credentials), JSON.stringify(credentials))
    }
  }
  assert.equal(invalidClientHint(base, 401, undefined), undefined)
})

test('property: a 429 or a Retry-After is always the throttle, and no hint holds the id or the secret in any form', () => {
  const value = fc.string({ minLength: 6, maxLength: 40, unit: 'grapheme-ascii' })
  fc.assert(
    fc.property(
      value,
      value,
      fc.constantFrom('\n', ' ', '', '%', ':'),
      fc.constantFrom(400, 401, 429),
      fc.option(fc.integer({ min: 0, max: 600_000 }), { nil: undefined }),
      fc.constantFrom('client_secret_basic', 'client_secret_post') as fc.Arbitrary<ClientCredentials['authMethod']>,
      fc.constantFrom('form', 'raw') as fc.Arbitrary<ClientCredentials['basicEncoding']>,
      (id, secret, edge, status, retryAfterMs, authMethod, basicEncoding) => {
        // A marker no hint holds, so a short random value cannot match the hint's own words.
        const clientId = `Id7q${id}${edge}`
        const clientSecret = `Sx9z${secret}${edge}`
        const hint = invalidClientHint({ clientId, clientSecret, authMethod, basicEncoding }, status, retryAfterMs) ?? ''
        if (status === 429 || retryAfterMs !== undefined) {
          assert.ok(hint.startsWith(THROTTLED), hint)
          assert.doesNotMatch(hint, /encod/i)
        }
        for (const form of [clientId, clientSecret, clientId.trim(), clientSecret.trim(), formEncode(clientId), formEncode(clientSecret)]) {
          assert.ok(!hint.includes(form))
        }
      },
    ),
  )
})
