import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isLoopbackHost } from '../../src/protocol/loopback.js'

// One rule for the client (plain http allowed to the token URL and origins) and the server (where it
// may listen without allowNonLoopback), as URL hostnames and as hosts to listen on.
const TABLE: Array<[string, boolean]> = [
  ['localhost', true],
  ['LOCALHOST', true],
  ['127.0.0.1', true],
  ['127.255.1.2', true],
  ['::1', true],
  ['[::1]', true],
  ['::ffff:127.0.0.1', true],
  ['[::ffff:7f00:1]', true],
  [new URL('http://[::ffff:127.0.0.1]/').hostname, true],
  ['api.localhost', false],
  ['localhost.', false],
  ['localhost.example.com', false],
  ['0.0.0.0', false],
  ['::', false],
  ['128.0.0.1', false],
  ['127.0.0.1.nip.io', false],
  ['::ffff:10.0.0.1', false],
  ['[::ffff:a00:1]', false],
  ['example.com', false],
]

for (const [host, loopback] of TABLE) {
  test(`isLoopbackHost(${JSON.stringify(host)}) is ${loopback}`, () => {
    assert.equal(isLoopbackHost(host), loopback)
  })
}
