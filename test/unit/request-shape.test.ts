import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cacheKeyPrefix, tokenCacheKey } from '../../src/cache/cache-key.js'
import { normalizeScope } from '../../src/request/scope.js'
import { normalizeParams } from '../../src/request/token-params.js'
import { tokenRequestBody } from '../../src/request/token-request-body.js'

test('scope normalisation table: split, deduplicate, sort', () => {
  const rows: Array<[Parameters<typeof normalizeScope>[0], string[]]> = [
    [undefined, []],
    ['', []],
    ['api:read', ['api:read']],
    ['b a', ['a', 'b']],
    ['  b   a b ', ['a', 'b']],
    [['b', 'a', 'b'], ['a', 'b']],
    [['a c', 'b'], ['a', 'b', 'c']],
    ['Read read', ['Read', 'read']],
    ['https://api.example.com/.default', ['https://api.example.com/.default']],
  ]
  for (const [input, expected] of rows) assert.deepEqual(normalizeScope(input), expected, JSON.stringify(input))
})

test('scope tokens outside NQCHAR are a TypeError', () => {
  for (const bad of ['a"b', 'a\\b', 'a\tb', 'é', 'a\nb']) {
    assert.throws(() => normalizeScope(bad), (error: unknown) => error instanceof TypeError && (error as { code?: string }).code === 'ERR_INVALID_ARG_VALUE', bad)
  }
  assert.throws(() => normalizeScope([1] as unknown as string[]), TypeError)
})

test('extra parameters: merged by layer, sorted, empty values dropped, reserved names refused', () => {
  assert.deepEqual(
    normalizeParams({ audience: 'x', params: { tenant: 't' } }, { resource: ['https://b/', 'https://a/', 'https://a/'], audience: 'y' }),
    [
      ['audience', ['y']],
      ['resource', ['https://a/', 'https://b/']],
      ['tenant', ['t']],
    ],
  )
  assert.deepEqual(normalizeParams({ audience: '' }), [])
  for (const name of ['grant_type', 'scope', 'client_id', 'client_secret', 'client_assertion']) {
    assert.throws(() => normalizeParams({ params: { [name]: 'x' } }), TypeError, name)
  }
  assert.throws(() => normalizeParams({ resource: 'relative/path' }), /absolute URI/)
  assert.throws(() => normalizeParams({ resource: 'https://api/#frag' }), /fragment/)
})

test('cache keys: equal requests share a key whatever the order; the secret is never in it', () => {
  const prefix = cacheKeyPrefix('https://id/token', 'svc', 'client_secret_basic')
  const a = tokenCacheKey(prefix, normalizeScope('b a'), normalizeParams({ resource: ['https://y/', 'https://x/'] }))
  const b = tokenCacheKey(prefix, normalizeScope(['a', 'b', 'a']), normalizeParams({ resource: ['https://x/', 'https://y/'] }))
  assert.equal(a, b)
  const rows = [
    tokenCacheKey(prefix, ['a'], []),
    tokenCacheKey(prefix, ['a', 'b'], []),
    tokenCacheKey(prefix, ['a'], normalizeParams({ audience: 'x' })),
    tokenCacheKey(cacheKeyPrefix('https://id/token', 'svc', 'client_secret_post'), ['a'], []),
    tokenCacheKey(cacheKeyPrefix('https://id/token', 'other', 'client_secret_basic'), ['a'], []),
    tokenCacheKey(cacheKeyPrefix('https://id2/token', 'svc', 'client_secret_basic'), ['a'], []),
  ]
  assert.equal(new Set(rows).size, rows.length, 'every difference gives a different key')
})

test('request body: grant_type, space-joined scope, repeated resource, auth parameters last', () => {
  assert.equal(tokenRequestBody([], [], []), 'grant_type=client_credentials')
  assert.equal(
    tokenRequestBody(['a:b', 'c'], normalizeParams({ resource: ['https://a/', 'https://b/'] }), [['client_id', 'svc'], ['client_secret', 'x y&']]),
    'grant_type=client_credentials&scope=a%3Ab+c&resource=https%3A%2F%2Fa%2F&resource=https%3A%2F%2Fb%2F&client_id=svc&client_secret=x+y%26',
  )
})
