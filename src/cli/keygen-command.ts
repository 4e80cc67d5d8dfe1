import { generateKeyPairSync, createPublicKey, type KeyObject } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { calculateJwkThumbprint, type JWK } from 'jose'
import { checkKeyId, importSigningKey } from '../auth/signing-key.js'
import { UsageError } from './exit-codes.js'
import type { CommandIo } from './io.js'

export const KEYGEN_HELP = `Usage: oauth2-client-credentials keygen [--alg ALG] [--kid KID] [--pem-out FILE]

Generates a key pair for private_key_jwt: the private key to keep, the public JWK to register.

  --alg ALG                  ES256 (default, EC P-256), RS256 (RSA 2048), PS256 (RSA-PSS 2048,
                             SHA-256: signs with PS256 only) or EdDSA (Ed25519)
  --kid KID                  the JWK's kid (default: its RFC 7638 SHA-256 thumbprint, base64url)
  --pem-out FILE             write the private key to FILE (created with mode 0600; an existing
                             file is not overwritten) and print only the JWK

Output, on standard output:
  (default)                  the private key PEM (PKCS#8), an empty line, then the public JWK as
                             one JSON line (kty, its public members, kid, alg, use: "sig"), last
  --pem-out FILE             the public JWK alone

The JWK holds no private member; the private key is printed nowhere else and kept nowhere.
A PEM has no kid: give the JWK's kid to 'token --key-id' if the server picks the key by kid.

Example:
  oauth2-client-credentials keygen --pem-out orders-key.pem > orders-key.jwk.json
  # or split the default output: the PEM is every line up to the END line, the JWK the last line
  oauth2-client-credentials keygen > both.txt
  sed -n '/-----BEGIN/,/-----END/p' both.txt > orders-key.pem; tail -n 1 both.txt > orders-key.jwk.json
  oauth2-client-credentials token --token-url URL --client-id orders-service \\
    --private-key-file orders-key.pem --key-id "$(jq -r .kid orders-key.jwk.json)"
`

/** The algorithms `keygen` makes keys for. */
export const KEYGEN_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const
export type KeygenAlgorithm = (typeof KEYGEN_ALGORITHMS)[number]

/** The RSA modulus of the keys `keygen` makes. */
const RSA_BITS = 2048

/** A new private key for `alg`. */
function generatePrivateKey(alg: KeygenAlgorithm): KeyObject {
  switch (alg) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: RSA_BITS }).privateKey
    case 'PS256':
      // An RSA-PSS key restricted to SHA-256, so TokenClient signs with PS256 without being told.
      return generateKeyPairSync('rsa-pss', { modulusLength: RSA_BITS, hashAlgorithm: 'sha256', mgf1HashAlgorithm: 'sha256' }).privateKey
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey
  }
}

/** A new key pair: the PKCS#8 PEM of the private key and the public JWK to register. */
export async function generateClientKey(alg: KeygenAlgorithm, kid?: string): Promise<{ pem: string; jwk: JWK }> {
  const privateKey = generatePrivateKey(alg)
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  // TokenClient's own import: the key is checked the way `token --private-key-file` will take it, and
  // an RSA-PSS key comes back as plain RSA, whose public half node:crypto can export as a JWK.
  const signingKey = importSigningKey(pem, {})
  if (signingKey.algorithm !== alg) throw new Error(`keygen: a ${alg} key signs with ${signingKey.algorithm}`)
  const { kty, crv, x, y, n, e } = createPublicKey(signingKey.key).export({ format: 'jwk' })
  const publicJwk: JWK = { kty: kty as string, ...(crv !== undefined && { crv }), ...(x !== undefined && { x }), ...(y !== undefined && { y }), ...(n !== undefined && { n }), ...(e !== undefined && { e }) }
  const keyId = kid ?? (await calculateJwkThumbprint(publicJwk, 'sha256'))
  return { pem, jwk: { ...publicJwk, kid: keyId, alg, use: 'sig' } }
}

/** Runs `keygen`: a private key PEM to keep and the public JWK to register. */
export async function keygenCommand(args: string[], io: CommandIo): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      alg: { type: 'string' },
      kid: { type: 'string' },
      'pem-out': { type: 'string' },
    },
  })
  const alg = values.alg ?? 'ES256'
  if (!(KEYGEN_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new UsageError(`--alg must be one of ${KEYGEN_ALGORITHMS.map((name) => `'${name}'`).join(', ')}`)
  }
  if (values.kid !== undefined) {
    try {
      checkKeyId('kid', values.kid)
    } catch (error) {
      throw new UsageError(`--${(error as Error).message}`)
    }
  }
  if (values['pem-out'] === '') throw new UsageError('--pem-out must be a file path')
  const { pem, jwk } = await generateClientKey(alg as KeygenAlgorithm, values.kid)
  if (values['pem-out'] !== undefined) {
    try {
      await writeFile(values['pem-out'], pem, { mode: 0o600, flag: 'wx' })
    } catch (error) {
      const code = (error as { code?: unknown }).code
      throw new UsageError(`--pem-out cannot write ${values['pem-out']}${code === 'EEXIST' ? ': the file exists (it is not overwritten)' : typeof code === 'string' ? ` (${code})` : ''}`)
    }
    io.out(`${JSON.stringify(jwk)}\n`)
    return
  }
  io.out(`${pem.endsWith('\n') ? pem : `${pem}\n`}\n${JSON.stringify(jwk)}\n`)
}
