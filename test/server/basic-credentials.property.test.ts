// Property: any VSCHAR client id and secret registered on the server authenticates when sent as Basic
// with form-encoded parts (RFC 6749 §2.3.1, App. B), and a different secret never does.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { startReferenceServer } from '../../src/server/index.js'
import { basic, postToken } from './helpers.js'

const vschar = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code))
// Biased towards the characters that break naive encoders.
const tricky = fc.constantFrom(':', '%', '+', '&', '=', '/', ' ', '"', '\\', '#', '?')
const vsString = fc.string({ unit: fc.oneof(vschar, tricky), minLength: 1, maxLength: 40 })

test('any VSCHAR secret authenticates as Basic with formEncoded parts', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.record({ clientId: vsString, clientSecret: vsString }), {
        minLength: 1,
        maxLength: 8,
        selector: (client) => client.clientId,
      }),
      async (clients) => {
        const server = await startReferenceServer({
          throttle: false,
          logLimit: 0,
          clients: clients.map((client) => ({ ...client, scopes: [] })),
        })
        try {
          for (const { clientId, clientSecret } of clients) {
            const ok = await postToken(
              server.tokenUrl,
              { grant_type: 'client_credentials' },
              { authorization: basic(clientId, clientSecret) },
            )
            assert.equal(ok.status, 200, ok.text)
            const wrong = await postToken(
              server.tokenUrl,
              { grant_type: 'client_credentials' },
              { authorization: basic(clientId, clientSecret + 'x') },
            )
            assert.equal(wrong.status, 401)
          }
        } finally {
          await server.close()
        }
      },
    ),
    { numRuns: 60 },
  )
})
