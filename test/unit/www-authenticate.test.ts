import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  hasChallengeError,
  isDpopNonceChallenge,
  isInvalidTokenChallenge,
  parseChallenges,
} from '../../src/fetch/www-authenticate.js'

const shape = (header: Parameters<typeof parseChallenges>[0]) =>
  parseChallenges(header).map((challenge) => [challenge.scheme, Object.fromEntries(challenge.params)])

test('WWW-Authenticate examples: several schemes, quoted values with escapes, several fields', () => {
  assert.deepEqual(shape('Bearer realm="api", DPoP algs="ES256 PS256", error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"'), [
    ['bearer', { realm: 'api' }],
    ['dpop', { algs: 'ES256 PS256', error: 'use_dpop_nonce', error_description: 'Resource server requires nonce in DPoP proof' }],
  ])
  // A quoted value holding what looks like a challenge is a value.
  assert.deepEqual(shape('Bearer realm="x\\", DPoP error=\\"use_dpop_nonce", error="insufficient_scope"'), [
    ['bearer', { realm: 'x", DPoP error="use_dpop_nonce', error: 'insufficient_scope' }],
  ])
  // Several fields, as undici gives them.
  assert.deepEqual(shape(['Basic realm="a"', 'DPoP error="invalid_token"']), [['basic', { realm: 'a' }], ['dpop', { error: 'invalid_token' }]])
  // A token68 after the scheme is no parameter; empty list elements are skipped.
  assert.deepEqual(shape('Basic dXNlcjpwdw==, , DPoP  error = use_dpop_nonce'), [['basic', {}], ['dpop', { error: 'use_dpop_nonce' }]])
  // A parameter given twice keeps its first value; a quoted value that never ends is dropped.
  assert.deepEqual(shape('DPoP error="invalid_token", error="use_dpop_nonce"'), [['dpop', { error: 'invalid_token' }]])
  assert.deepEqual(shape('DPoP realm="a", error="use_dpop_nonce'), [['dpop', { realm: 'a' }]])
  // Junk after a value is stepped over up to the next comma, quotes respected.
  assert.deepEqual(shape('Bearer realm="a"junk "x, y", DPoP error="use_dpop_nonce"'), [['bearer', { realm: 'a' }], ['dpop', { error: 'use_dpop_nonce' }]])
})

test('the DPoP predicates: the scheme and the error both count', () => {
  const rows: Array<[string | string[] | null | undefined, boolean, boolean, boolean]> = [
    // header, use_dpop_nonce, DPoP invalid_token, Bearer invalid_token
    [undefined, false, false, false],
    [null, false, false, false],
    ['', false, false, false],
    [[], false, false, false],
    ['DPoP error="use_dpop_nonce"', true, false, false],
    ['dpop error=use_dpop_nonce', true, false, false],
    ['Bearer error="use_dpop_nonce"', false, false, false],
    ['DPoP error="invalid_token"', false, true, false],
    ['Bearer error="invalid_token"', false, false, true],
    ['Bearer error="invalid_token", DPoP error="use_dpop_nonce"', true, false, true],
    [['Bearer realm="x"', 'DPoP error="invalid_token"'], false, true, false],
    ['Basic realm="DPoP error=\\"use_dpop_nonce\\""', false, false, false],
    ['DPoP realm="a", Basic error="use_dpop_nonce"', false, false, false],
  ]
  for (const [header, nonce, dpopInvalid, bearerInvalid] of rows) {
    assert.equal(isDpopNonceChallenge(header), nonce, `nonce: ${JSON.stringify(header)}`)
    assert.equal(isInvalidTokenChallenge(header, 'dpop'), dpopInvalid, `dpop invalid_token: ${JSON.stringify(header)}`)
    assert.equal(isInvalidTokenChallenge(header), bearerInvalid, `bearer invalid_token: ${JSON.stringify(header)}`)
  }
  assert.equal(hasChallengeError('Newauth error=x', 'newauth', 'x'), true)
})

// What RFC 9110 §11.6.1 lets a server write, generated, serialised and parsed back.
const tokenChars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split('')
const token = fc.array(fc.constantFrom(...tokenChars), { minLength: 1, maxLength: 12 }).map((chars) => chars.join(''))
const quotable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 20 })
const token68 = fc
  .tuple(fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,16}$/), fc.integer({ min: 0, max: 2 }))
  .map(([body, padding]) => body + '='.repeat(padding))
const param = fc.record({ name: token, value: fc.oneof(token.map((v) => ({ v, quoted: false })), quotable.map((v) => ({ v, quoted: true }))) })
const challenge = fc.oneof(
  fc.record({ scheme: token, params: fc.uniqueArray(param, { selector: (p) => p.name.toLowerCase(), maxLength: 4 }) }),
  fc.record({ scheme: token, token68 }),
)
const space = fc.constantFrom('', ' ', '  ', '\t')

function serialise(c: { scheme: string; params?: Array<{ name: string; value: { v: string; quoted: boolean } }>; token68?: string }, ows: string): string {
  if (c.token68 !== undefined) return `${c.scheme} ${c.token68}`
  const params = (c.params ?? []).map(({ name, value }) => `${name}${ows}=${ows}${value.quoted ? `"${value.v.replace(/["\\]/g, '\\$&')}"` : value.v}`)
  return params.length === 0 ? c.scheme : `${c.scheme} ${params.join(`${ows},${ows}`)}`
}

test('property: any header a server may write parses back to its challenges, one field or several', () => {
  fc.assert(
    fc.property(fc.array(challenge, { minLength: 1, maxLength: 5 }), space, fc.boolean(), (challenges, ows, split) => {
      const values = challenges.map((c) => serialise(c, ows))
      const expected = challenges.map((c) => [
        c.scheme.toLowerCase(),
        Object.fromEntries(('params' in c ? c.params : []).map(({ name, value }) => [name.toLowerCase(), value.v])),
      ])
      assert.deepEqual(shape(split ? values : values.join(`${ows},${ows}`)), expected)
    }),
    { numRuns: 500 },
  )
})

test('property: no quoted value is ever read as a challenge or a parameter', () => {
  fc.assert(
    fc.property(quotable, (text) => {
      const quoted = `"${text.replace(/["\\]/g, '\\$&')}"`
      const parsed = shape(`Basic realm=${quoted}`)
      assert.deepEqual(parsed, [['basic', { realm: text }]])
      assert.equal(isDpopNonceChallenge(`Basic realm=${quoted}`), false)
    }),
    { numRuns: 500 },
  )
})

test('property: arbitrary text never throws, and a long header parses in linear time', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (text) => {
      parseChallenges(text)
      isDpopNonceChallenge(text)
      isInvalidTokenChallenge([text, text], 'dpop')
    }),
    { numRuns: 1000 },
  )
  for (const unit of ['a', 'a=', '"', '\\', 'a, ', 'DPoP a="b\\', 'x y ']) {
    const header = unit.repeat(200_000 / unit.length)
    const started = performance.now()
    parseChallenges(header)
    assert.ok(performance.now() - started < 1_000, `${JSON.stringify(unit)} repeated took too long`)
  }
})
