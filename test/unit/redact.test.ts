import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { redact, REDACTED } from '../../src/errors/redact.js'

test('a long secret is replaced wherever it occurs', () => {
  assert.equal(redact('bad secret s3cr3t-value!', ['s3cr3t-value']), `bad secret ${REDACTED}!`)
  assert.equal(redact('xs3cr3t-valuex', ['s3cr3t-value']), `x${REDACTED}x`)
})

test('a short secret is replaced only where it stands alone, so protocol codes and words stay intact', () => {
  assert.equal(redact('invalid_client', ['client']), 'invalid_client')
  assert.equal(redact('invalid_request', ['e']), 'invalid_request')
  assert.equal(redact('the secret "e" is wrong', ['e']), `the secret "${REDACTED}" is wrong`)
  assert.equal(redact('e', ['e']), REDACTED)
  assert.equal(redact('secret=abc&x=abc', ['abc']), `secret=${REDACTED}&x=${REDACTED}`)
  assert.equal(redact('abc abcd abc', ['abc']), `${REDACTED} abcd ${REDACTED}`)
})

test('redaction never leaves a long secret in the text, and never changes text that holds none', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 8, maxLength: 20 }), fc.string(), fc.string(), (secret, before, after) => {
      const text = `${before}${secret}${after}`
      assert.ok(!redact(text, [secret]).includes(secret) || `${before}${REDACTED}${after}`.includes(secret))
      const clean = before.replaceAll(secret, '')
      if (!clean.includes(secret)) assert.equal(redact(clean, [secret]), clean)
    }),
  )
})
