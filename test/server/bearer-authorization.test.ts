// Checklist item 32: the Bearer header grammar (RFC 6750 §2.1) and challenge (§3), as tables.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bearerChallenge, parseBearerAuthorization } from '../../src/server/tokens/bearer-authorization.js'

test('32: parseBearerAuthorization reads a b64token; another scheme is no credentials; anything else malformed', () => {
  const table: [string | undefined, boolean, ReturnType<typeof parseBearerAuthorization>][] = [
    ['Bearer mF_9.B5f-4.1JqM', false, { token: 'mF_9.B5f-4.1JqM' }],
    ['bearer abc', false, { token: 'abc' }],
    ['BEARER  abc  ', false, { token: 'abc' }],
    ['Bearer a+b/c~d==', false, { token: 'a+b/c~d==' }],
    ['Bearer eyJ.eyJ.sig', false, { token: 'eyJ.eyJ.sig' }],
    [undefined, false, 'missing'],
    ['Basic c3ZjOng=', false, 'missing'],
    ['DPoP abc', false, 'missing'],
    ['Bearerabc', false, 'missing'],
    ['Bearer abc', true, 'malformed'],
    ['Bearer', false, 'malformed'],
    ['Bearer ', false, 'malformed'],
    ['Bearer a b', false, 'malformed'],
    ['Bearer a=b', false, 'malformed'],
    ['Bearer =abc', false, 'malformed'],
    ['Bearer a,b', false, 'malformed'],
    ['Bearer é', false, 'malformed'],
    ['', false, 'malformed'],
  ]
  for (const [header, repeated, expected] of table) {
    assert.deepEqual(parseBearerAuthorization(header, repeated), expected, `${header} ${repeated}`)
  }
})

test('32: bearerChallenge adds error, error_description and scope in that order, and refuses quotes', () => {
  assert.equal(bearerChallenge({}), 'Bearer realm="reference-server"')
  assert.equal(
    bearerChallenge({ error: 'invalid_token', errorDescription: 'expired' }),
    'Bearer realm="reference-server", error="invalid_token", error_description="expired"',
  )
  assert.equal(
    bearerChallenge({ error: 'insufficient_scope', scope: 'a b' }),
    'Bearer realm="reference-server", error="insufficient_scope", scope="a b"',
  )
  assert.throws(() => bearerChallenge({ error: 'invalid_token', errorDescription: 'say "hi"' }), RangeError)
})
