// Strict form parsing and the Content-Type check, as tables.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkFormContentType, firstValue, parseForm } from '../../src/server/exchange/form-body.js'

const REPEATABLE = new Set(['resource'])

test('parseForm decodes names and values, keeps every value, reports the first repetition', () => {
  const table: [string, [string, string[]][], string | undefined][] = [
    ['', [], undefined],
    ['a=1&b=2', [['a', ['1']], ['b', ['2']]], undefined],
    ['a=x+y%2Bz', [['a', ['x y+z']]], undefined],
    ['a%5Fb=%E2%82%AC', [['a_b', ['€']]], undefined],
    ['a&b=', [['a', ['']], ['b', ['']]], undefined],
    ['a=1&&b=2&', [['a', ['1']], ['b', ['2']]], undefined],
    ['a=1=2', [['a', ['1=2']]], undefined],
    ['a=1&a=2', [['a', ['1', '2']]], 'a'],
    ['a=&a=2', [['a', ['', '2']]], undefined],
    ['a=1&a=', [['a', ['1', '']]], undefined],
    ['resource=x&resource=y', [['resource', ['x', 'y']]], undefined],
    ['b=1&a=1&a=2&b=2', [['b', ['1', '2']], ['a', ['1', '2']]], 'a'],
    ['__proto__=x', [['__proto__', ['x']]], undefined],
  ]
  for (const [body, params, repeated] of table) {
    const parsed = parseForm(body, REPEATABLE)
    assert.deepEqual([...parsed.params], params, body)
    assert.equal(parsed.repeated, repeated, body)
  }
})

test('parseForm throws URIError on a malformed escape', () => {
  for (const body of ['a=%', 'a=%zz', 'a=%E2%82', '%G0=1', 'a=100%']) {
    assert.throws(() => parseForm(body, REPEATABLE), URIError, body)
  }
})

test('firstValue treats empty values as absent', () => {
  const { params } = parseForm('a=&a=x&b=&c=y', REPEATABLE)
  assert.equal(firstValue(params, 'a'), 'x')
  assert.equal(firstValue(params, 'b'), undefined)
  assert.equal(firstValue(params, 'c'), 'y')
  assert.equal(firstValue(params, 'd'), undefined)
})

test('checkFormContentType accepts the form type with a UTF-8 charset only', () => {
  const table: [string | undefined, string][] = [
    ['application/x-www-form-urlencoded', 'ok'],
    ['APPLICATION/X-WWW-FORM-URLENCODED', 'ok'],
    ['application/x-www-form-urlencoded;charset=UTF-8', 'ok'],
    ['application/x-www-form-urlencoded ; charset="utf-8"', 'ok'],
    ['application/x-www-form-urlencoded; foo=bar', 'ok'],
    ['application/x-www-form-urlencoded; charset=latin1', 'bad-charset'],
    ['application/json', 'not-form'],
    ['multipart/form-data; boundary=x', 'not-form'],
    ['text/plain', 'not-form'],
    ['', 'not-form'],
    [undefined, 'not-form'],
  ]
  for (const [header, expected] of table) assert.equal(checkFormContentType(header), expected, String(header))
})
