// What the token endpoint grants for a `scope` parameter, and that remembering grants per client
// changes no answer.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ClientRegistry, type RegisteredClient } from '../../src/server/clients/client-registry.js'
import { REMEMBERED_GRANTS, grantScope } from '../../src/server/tokens/scope-grant.js'

function client(clientId: string, scopes: string[]): RegisteredClient {
  const registered = new ClientRegistry([{ clientId, clientSecret: 'x', scopes }]).get(clientId)
  assert.ok(registered)
  return registered
}

test('no scope asked grants every scope of the client, in registration order', () => {
  const svc = client('svc', ['b', 'a'])
  assert.deepEqual(grantScope(svc, undefined), { scopes: ['b', 'a'], text: 'b a' })
  assert.deepEqual(grantScope(client('none', []), undefined), { scopes: [], text: '' })
})

test('a scope asked is granted distinct, in the order asked, when the client may have each', () => {
  const svc = client('svc', ['a', 'b', 'c'])
  assert.deepEqual(grantScope(svc, 'c a c'), { scopes: ['c', 'a'], text: 'c a' })
  assert.equal(grantScope(svc, 'a d'), 'not-allowed')
  assert.equal(grantScope(svc, 'a  b'), 'malformed')
  assert.equal(grantScope(svc, 'A'), 'not-allowed')
})

test('a remembered grant is the same answer, and is not shared with another client', () => {
  const first = client('first', ['a', 'b'])
  const second = client('second', ['a'])
  const grant = grantScope(first, 'a b')
  assert.equal(grantScope(first, 'a b'), grant)
  assert.ok(Object.isFrozen(grant) && Object.isFrozen(typeof grant === 'string' ? grant : grant.scopes))
  assert.equal(grantScope(second, 'a b'), 'not-allowed')
  assert.deepEqual(grantScope(second, 'a'), { scopes: ['a'], text: 'a' })
})

test('past the remembered limit, grants are still worked out, and refusals are never remembered', () => {
  const scopes = Array.from({ length: REMEMBERED_GRANTS + 10 }, (_, index) => `s${index}`)
  const svc = client('svc', scopes)
  for (const scope of scopes) assert.deepEqual(grantScope(svc, scope), { scopes: [scope], text: scope })
  const late = scopes.at(-1) as string
  assert.notEqual(grantScope(svc, late), grantScope(svc, late)) // worked out each time, equal but not the same object
  assert.deepEqual(grantScope(svc, late), grantScope(svc, late))
  assert.equal(grantScope(svc, 'nope'), 'not-allowed')
  assert.equal(grantScope(svc, 'nope'), 'not-allowed')
})
