import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { DEFAULT_USER_AGENT, PACKAGE_VERSION } from '../../src/version.js'

test('the version sent in User-Agent is the one in package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; name: string }
  assert.equal(PACKAGE_VERSION, pkg.version)
  assert.equal(DEFAULT_USER_AGENT, `${pkg.name}/${pkg.version}`)
})
