// Interoperability of DPoP (RFC 9449) with oidc-provider, nonces required: TokenClient with
// `dpop: true` (a key made in memory) and with a kept key, for a secret client and a
// private_key_jwt client. The first request of each client gets `use_dpop_nonce`, the retry carries
// the nonce (and, for private_key_jwt, a new assertion: oidc-provider refuses a replayed jti); the
// token is DPoP-bound to the client's key (oidc-provider stores its jkt).
import assert from 'node:assert/strict'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, type JWK } from 'jose'
import { TokenClient, type TokenClientOptions } from '../../src/index.js'
import { startOidcProvider, type OidcProvider, type RunningOidcProvider } from '../helpers/oidc-provider.js'

const SCOPE = 'api:read'
const SECRET = 'a-client-secret-of-enough-length-0123456789'
const TIMEOUT = { timeout: 15_000 }
const assertionKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const keptDpopKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
let oidc: RunningOidcProvider
let provider: OidcProvider
const clients: TokenClient[] = []

/** What oidc-provider saw at the token endpoint, in order. */
const seen: { status: number; proof: string | undefined; assertion: string | undefined }[] = []

before(async () => {
  const registration = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: SCOPE, dpop_bound_access_tokens: true }
  oidc = await startOidcProvider(
    {
      clients: [
        { ...registration, client_id: 'secret', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_basic' },
        { ...registration, client_id: 'keyed', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [await exportJWK(assertionKey.publicKey)] } },
      ],
      scopes: [SCOPE],
      features: {
        clientCredentials: { enabled: true },
        devInteractions: { enabled: false },
        dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
      },
    },
    (configured) => {
      provider = configured
      configured.use(async (ctx, next) => {
        await next()
        if (ctx.path !== '/token') return
        const assertion = ctx.oidc?.params?.['client_assertion']
        seen.push({ status: ctx.status, proof: ctx.get('dpop') || undefined, assertion: typeof assertion === 'string' ? assertion : undefined })
      })
    },
  )
})
after(async () => {
  await Promise.all(clients.map((client) => client.close()))
  await oidc.close()
  assert.deepEqual(oidc.serverErrors, [])
})

function client(options: Omit<TokenClientOptions, 'tokenUrl'>): TokenClient {
  const made = new TokenClient({ tokenUrl: oidc.tokenUrl, ...options } as TokenClientOptions)
  clients.push(made)
  return made
}

/** The jkt of the key a proof was signed with. */
async function proofThumbprint(proof: string): Promise<string> {
  return calculateJwkThumbprint(decodeProtectedHeader(proof).jwk as JWK)
}

describe('TokenClient with DPoP against oidc-provider (nonces required)', () => {
  const cases: [string, Omit<TokenClientOptions, 'tokenUrl'>][] = [
    ['a secret client, a key made in memory', { clientId: 'secret', clientSecret: SECRET, dpop: true }],
    ['a secret client, a kept key', { clientId: 'secret', clientSecret: SECRET, dpop: { privateKey: keptDpopKey.privateKey } }],
    ['a private_key_jwt client, a key made in memory', { clientId: 'keyed', authMethod: 'private_key_jwt', privateKey: assertionKey.privateKey, dpop: true }],
  ]
  for (const [name, options] of cases) {
    test(`${name}: use_dpop_nonce once, then a DPoP token bound to the key`, TIMEOUT, async () => {
      const tokens = client(options)
      const from = seen.length
      const token = await tokens.getToken(SCOPE)
      assert.equal(token.tokenType, 'DPoP')
      const requests = seen.slice(from)
      assert.deepEqual(requests.map((request) => request.status), [400, 200], 'use_dpop_nonce, then the token')
      const [first, second] = requests as [(typeof requests)[0], (typeof requests)[0]]
      assert.ok(first.proof !== undefined && second.proof !== undefined)
      assert.equal(decodeJwt(first.proof)['nonce'], undefined)
      assert.equal(typeof decodeJwt(second.proof)['nonce'], 'string')
      assert.notEqual(decodeJwt(first.proof)['jti'], decodeJwt(second.proof)['jti'])
      if (first.assertion !== undefined) assert.notEqual(decodeJwt(first.assertion)['jti'], decodeJwt(second.assertion as string)['jti'])
      const stored = await provider.ClientCredentials.find(token.accessToken)
      assert.equal((stored as { jkt?: string } | undefined)?.jkt, await proofThumbprint(second.proof))

      // The nonce is kept: the next token request carries it at once.
      const again = seen.length
      await tokens.getToken(SCOPE, { forceRefresh: true })
      assert.deepEqual(seen.slice(again).map((request) => request.status), [200])
    })
  }
})
