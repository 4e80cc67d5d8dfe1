// Scope grammar (RFC 6749 §3.3) and resource indicators (RFC 8707), as tables.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isResourceIndicator } from '../../src/server/tokens/resource-indicator.js'
import { isScopeToken } from '../../src/protocol/scope-token.js'
import { parseScope } from '../../src/server/tokens/scope.js'

test('parseScope splits on single spaces, dedupes, refuses anything outside the grammar', () => {
  const table: [string, string[] | undefined][] = [
    ['a', ['a']],
    ['a b', ['a', 'b']],
    ['b a b', ['b', 'a']],
    ['api:read https://x.example/y!#$', ['api:read', 'https://x.example/y!#$']],
    ['', undefined],
    [' a', undefined],
    ['a ', undefined],
    ['a  b', undefined],
    ['a\tb', undefined],
    ['a"b', undefined],
    ['a\\b', undefined],
    ['é', undefined],
  ]
  for (const [value, expected] of table) assert.deepEqual(parseScope(value), expected, JSON.stringify(value))
  assert.equal(isScopeToken('~'), true)
  assert.equal(isScopeToken('a b'), false)
})

test('isResourceIndicator accepts absolute URIs without a fragment', () => {
  const table: [string, boolean][] = [
    ['https://api.example.com', true],
    ['https://api.example.com/v1?x=1&y=%20', true],
    ['urn:example:resource', true],
    ['http://[::1]:8080/', true],
    ['/v1', false],
    ['api.example.com', false],
    ['//api.example.com', false],
    ['https://api.example.com/#f', false],
    ['https://api.example.com/a b', false],
    ['https://api.example.com/%zz', false],
    ['1http://x', false],
    ['', false],
  ]
  for (const [value, expected] of table) assert.equal(isResourceIndicator(value), expected, value)
})
