import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as errors from '../../src/errors/token-client-error.js'
import { isTransient } from '../../src/retry/retry-policy.js'

// A second copy of the errors module, as when two versions of the package sit in node_modules: tsx
// loads a module again for another query string, with classes of its own.
const copy = (await import('../../src/errors/token-client-error.js?copy' as string)) as typeof errors

/** One error of each class, made by `module`. */
function everyError(module: typeof errors) {
  return {
    OAuthError: new module.OAuthError({ status: 400, error: 'invalid_scope' }),
    UnexpectedStatusError: new module.UnexpectedStatusError({ status: 503 }),
    InvalidResponseError: new module.InvalidResponseError({ status: 200, reason: 'not JSON' }),
    TransportError: new module.TransportError('ECONNRESET', new Error('reset')),
    TimeoutError: new module.TimeoutError('attempt', 10),
    AbortError: new module.AbortError(undefined),
    ClientClosedError: new module.ClientClosedError(),
  }
}

test('the copy is a copy: its classes are not the same objects', () => {
  assert.notEqual(copy.OAuthError, errors.OAuthError)
  assert.notEqual(copy.TokenClientError, errors.TokenClientError)
})

test('instanceof holds across copies for the class of the error and the base class, and for no other class', () => {
  const classes = Object.keys(everyError(errors)) as Array<keyof ReturnType<typeof everyError>>
  for (const [from, to] of [[copy, errors], [errors, copy], [errors, errors]] as const) {
    const made = everyError(from)
    for (const name of classes) {
      const error = made[name]
      assert.ok(error instanceof to.TokenClientError, `${name} instanceof TokenClientError`)
      for (const other of classes) assert.equal(error instanceof to[other], other === name, `${name} instanceof ${other}`)
      assert.ok(error instanceof Error)
    }
  }
})

test('no brand, no instance: a lookalike with the right code, a plain Error, a primitive', () => {
  for (const value of [{ code: 'OAUTH_ERROR' }, Object.assign(new Error('x'), { code: 'TIMEOUT' }), 'OAUTH_ERROR', null, undefined]) {
    assert.equal(value instanceof errors.TokenClientError, false, String(value))
    assert.equal(value instanceof errors.OAuthError, false, String(value))
    assert.equal(value instanceof errors.TimeoutError, false, String(value))
  }
})

test("a caller's subclass keeps the ordinary instanceof", () => {
  class DeadlineTimeout extends errors.TimeoutError {}
  const own = new DeadlineTimeout('deadline', 30_000)
  assert.ok(own instanceof DeadlineTimeout)
  assert.ok(own instanceof errors.TimeoutError)
  assert.ok(own instanceof copy.TimeoutError)
  assert.equal(new errors.TimeoutError('deadline', 30_000) instanceof DeadlineTimeout, false)
  assert.equal(new copy.TimeoutError('deadline', 30_000) instanceof DeadlineTimeout, false)
})

test("the retry decisions classify another copy's errors as their own", () => {
  assert.equal(isTransient(new copy.TransportError('ECONNRESET', new Error('reset'))), true)
  assert.equal(isTransient(new copy.TransportError('self-signed', new Error('x'), false)), false)
  assert.equal(isTransient(new copy.UnexpectedStatusError({ status: 503 })), true)
  assert.equal(isTransient(new copy.TimeoutError('deadline', 10)), false)
})
