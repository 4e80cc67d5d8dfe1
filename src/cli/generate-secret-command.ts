import { parseArgs } from 'node:util'
import { generateClientSecret } from '../server/clients/client-secret.js'
import type { CommandIo } from './io.js'
import { DEFAULT_SECRET_ENV } from './read-secret.js'

export const GENERATE_SECRET_HELP = `Usage: oauth2-client-credentials generate-secret [--json]

Prints a new client secret (32 random bytes, base64url: 43 characters) and its stored form:

  secret: <the secret>       for the client only (${DEFAULT_SECRET_ENV}, a secret store)
  stored: sha256:<...>       the "secretHash" of the client in the reference server's --clients-file

  --json                     print {"secret", "stored"} as one JSON line

The secret is printed on standard output, once; nothing keeps it.
`

/** Runs `generate-secret`: a new secret and the form the reference server stores. */
export async function generateSecretCommand(args: string[], io: CommandIo): Promise<void> {
  const { values } = parseArgs({ args, strict: true, allowPositionals: false, options: { json: { type: 'boolean' } } })
  const { secret, stored } = generateClientSecret()
  io.out(values.json ? `${JSON.stringify({ secret, stored })}\n` : `secret: ${secret}\nstored: ${stored}\n`)
}
