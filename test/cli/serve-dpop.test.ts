// `serve` with DPoP: --dpop-nonce (server nonces at the token endpoint), --require-dpop (only
// DPoP-bound tokens for the command line's clients), --dpop-resource-nonce (nonces at /resource).
// A real process; proofs signed with jose in the test.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import { RESERVED_SECRET } from '../helpers/secrets.js'

const bin = new URL('../../src/cli/bin.ts', import.meta.url).pathname

async function proof(key: { privateKey: CryptoKey; jwk: JWK }, htm: string, htu: string, nonce?: string): Promise<string> {
  return new SignJWT({ htm, htu, jti: randomUUID(), ...(nonce !== undefined && { nonce }) })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
    .setIssuedAt()
    .sign(key.privateKey)
}

test('serve --dpop-nonce --require-dpop --dpop-resource-nonce: nonces at both ends, DPoP-bound tokens only', { timeout: 30_000 }, async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', bin, 'serve', '--json', '--client', `svc:${RESERVED_SECRET}`, '--scope', 'api:read', '--dpop-nonce', '--require-dpop', '--dpop-resource-nonce'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const exited = once(child, 'exit')
  try {
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer]
    const { tokenUrl, issuer } = JSON.parse(chunk.toString().split('\n')[0] as string) as { tokenUrl: string; issuer: string }
    const pair = await generateKeyPair('ES256')
    const key = { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) }
    const basic = `Basic ${Buffer.from(`svc:${encodeURIComponent(RESERVED_SECRET)}`).toString('base64')}`
    const post = (headers: Record<string, string>) =>
      fetch(tokenUrl, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: 'grant_type=client_credentials' })

    const bearer = await post({})
    assert.equal(bearer.status, 400)
    assert.equal(((await bearer.json()) as { error_description: string }).error_description, 'this client requires DPoP-bound tokens')

    const first = await post({ dpop: await proof(key, 'POST', tokenUrl) })
    assert.equal(first.status, 400)
    assert.equal(((await first.json()) as { error: string }).error, 'use_dpop_nonce')
    const nonce = first.headers.get('dpop-nonce')
    assert.ok(nonce)

    const second = await post({ dpop: await proof(key, 'POST', tokenUrl, nonce) })
    const token = (await second.json()) as { access_token: string; token_type: string }
    assert.equal(second.status, 200)
    assert.equal(token.token_type, 'DPoP')

    const resourceUrl = `${issuer}/resource`
    const ath = { ath: Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token.access_token))).toString('base64url') }
    const resourceProof = async (resourceNonce?: string) =>
      new SignJWT({ htm: 'GET', htu: resourceUrl, jti: randomUUID(), ...ath, ...(resourceNonce !== undefined && { nonce: resourceNonce }) })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })
        .setIssuedAt()
        .sign(key.privateKey)
    const refused = await fetch(resourceUrl, { headers: { authorization: `DPoP ${token.access_token}`, dpop: await resourceProof() } })
    assert.equal(refused.status, 401)
    assert.match(refused.headers.get('www-authenticate') ?? '', /use_dpop_nonce/)
    const resourceNonce = refused.headers.get('dpop-nonce')
    assert.ok(resourceNonce)
    assert.notEqual(resourceNonce, nonce, 'the resource has nonces of its own')
    const ok = await fetch(resourceUrl, { headers: { authorization: `DPoP ${token.access_token}`, dpop: await resourceProof(resourceNonce) } })
    assert.equal(ok.status, 200)
  } finally {
    child.kill('SIGTERM')
    await exited
  }
})
