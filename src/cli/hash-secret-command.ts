import { parseArgs } from 'node:util'
import { hasSurroundingWhitespace } from '../auth/client-authentication.js'
import { hashClientSecret } from '../server/clients/client-secret.js'
import type { CommandIo } from './io.js'
import { DEFAULT_SECRET_ENV, readSecret } from './read-secret.js'

export const HASH_SECRET_HELP = `Usage: oauth2-client-credentials hash-secret [options]

Prints the stored form of an existing client secret, sha256:<base64url of its SHA-256>: the
"secretHash" of a client in the reference server's --clients-file, which then holds no secret.

The secret, from one of:
  --client-secret-env NAME   an environment variable (default ${DEFAULT_SECRET_ENV})
  --client-secret-file PATH  a file holding the secret (a trailing newline is dropped)
  --client-secret-stdin      standard input (a trailing newline is dropped)

Example:
  printf '%s' "$SECRET" | oauth2-client-credentials hash-secret --client-secret-stdin
  # sha256:... (50 characters), for {"clientId":"svc","secretHash":"sha256:...","scopes":[...]}
`

/** Runs `hash-secret`: the stored form of a secret read from the environment, a file or stdin. */
export async function hashSecretCommand(args: string[], io: CommandIo): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      'client-secret-env': { type: 'string' },
      'client-secret-file': { type: 'string' },
      'client-secret-stdin': { type: 'boolean' },
    },
  })
  const secret = await readSecret(
    { env: values['client-secret-env'], file: values['client-secret-file'], stdin: values['client-secret-stdin'] },
    io.env,
    io.stdin,
    (line) => io.err(`${line}\n`),
  )
  if (hasSurroundingWhitespace(secret)) {
    io.err('warning: the secret begins or ends with whitespace, which is hashed with it; a client that sends it trimmed is refused\n')
  }
  io.out(`${hashClientSecret(secret)}\n`)
}
