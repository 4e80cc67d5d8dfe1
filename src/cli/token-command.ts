import { readFile } from 'node:fs/promises'
import type { JsonWebKey } from 'node:crypto'
import { parseArgs } from 'node:util'
import { TokenClient } from '../client/token-client.js'
import { MAX_TIMER_DELAY_MS } from '../timer-limit.js'
import { UsageError } from './exit-codes.js'
import type { CommandIo } from './io.js'
import { DEFAULT_SECRET_ENV, readSecret } from './read-secret.js'

export const TOKEN_HELP = `Usage: oauth2-client-credentials token --token-url URL --client-id ID [options]

Gets a client-credentials access token and prints it.

  --token-url URL            the token endpoint (or OAUTH2_TOKEN_URL)
  --client-id ID             the client id (or OAUTH2_CLIENT_ID)
  --scope SCOPE              scope to ask for; repeat or space-separate for several
  --audience AUDIENCE        the audience parameter (Auth0 and others)
  --resource URI             an RFC 8707 resource indicator; may repeat
  --auth-method METHOD       client_secret_basic (default), client_secret_post, client_secret_jwt,
                             or private_key_jwt (the default with --private-key-file)
  --basic-encoding ENCODING  form (default, RFC 6749) or raw, for servers that do not decode
  --allow-insecure-http      allow plain http to a non-loopback token URL
  --timeout MS               give up after this long (default 30000)
  --no-retry                 a single attempt: no retry after a network failure, a timeout,
                             408, 429 or 5xx

A private key instead of a secret (private_key_jwt; no client secret is read):
  --private-key-file PATH    the private key: a PEM (PKCS#8, SEC1 or PKCS#1) or a private JWK as JSON
                             (see the keygen command); never printed
  --key-id KID               the kid header of the assertions (default: the JWK's kid, else none)
  --signing-algorithm ALG    RS256, PS256, ES256, EdDSA, ... (default: from the key)
  --certificate-file PATH    a PEM certificate of the key, for the x5t#S256 header (Entra ID)

The client secret, from one of (in this order of preference):
  --client-secret-env NAME   an environment variable (default ${DEFAULT_SECRET_ENV})
  --client-secret-file PATH  a file holding the secret (a trailing newline is dropped)
  --client-secret-stdin      standard input
  --client-secret SECRET     the command line: accepted with a warning (shell history)

Output (one of):
  (default)                  the access token alone
  --header                   Authorization: Bearer <token>, for curl -H "$(...)"
  --json                     the token's access_token, token_type, expires_at and scope as JSON

Exit codes: 0 ok, 2 bad usage, 3 the server refused (OAuth error or unexpected status),
4 the server could not be reached or timed out, 5 the server's answer was not a token.

Example:
  export ${DEFAULT_SECRET_ENV}=...
  curl -H "$(oauth2-client-credentials token --token-url https://id.example.com/connect/token \\
    --client-id orders-service --scope orders:read --header)" https://api.example.com/orders
`

/** Runs `token`: prints the token, a header line or JSON. */
export async function tokenCommand(args: string[], io: CommandIo): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      'token-url': { type: 'string' },
      'client-id': { type: 'string' },
      scope: { type: 'string', multiple: true },
      audience: { type: 'string' },
      resource: { type: 'string', multiple: true },
      'auth-method': { type: 'string' },
      'basic-encoding': { type: 'string' },
      'allow-insecure-http': { type: 'boolean' },
      timeout: { type: 'string' },
      'no-retry': { type: 'boolean' },
      'client-secret-env': { type: 'string' },
      'client-secret-file': { type: 'string' },
      'client-secret-stdin': { type: 'boolean' },
      'client-secret': { type: 'string' },
      'private-key-file': { type: 'string' },
      'key-id': { type: 'string' },
      'signing-algorithm': { type: 'string' },
      'certificate-file': { type: 'string' },
      header: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  })
  if (values.header && values.json) throw new UsageError('use --header or --json, not both')
  const tokenUrl = values['token-url'] ?? io.env.OAUTH2_TOKEN_URL
  const clientId = values['client-id'] ?? io.env.OAUTH2_CLIENT_ID
  if (!tokenUrl) throw new UsageError('--token-url is required (or set OAUTH2_TOKEN_URL)')
  if (!clientId) throw new UsageError('--client-id is required (or set OAUTH2_CLIENT_ID)')
  const timeout = values.timeout === undefined ? 30_000 : Number(values.timeout)
  if (!(timeout > 0 && timeout <= MAX_TIMER_DELAY_MS)) {
    throw new UsageError(`--timeout must be a positive number of milliseconds, at most ${MAX_TIMER_DELAY_MS}`)
  }
  const privateKey = values['private-key-file'] === undefined ? undefined : await readPrivateKeyFile(values['private-key-file'])
  const authMethod = values['auth-method'] ?? (privateKey !== undefined ? 'private_key_jwt' : undefined)
  const secretFlags = ['client-secret-env', 'client-secret-file', 'client-secret-stdin', 'client-secret'] as const
  if (authMethod === 'private_key_jwt') {
    const given = secretFlags.find((flag) => values[flag] !== undefined)
    if (given !== undefined) throw new UsageError(`--${given} is not used with --auth-method private_key_jwt, which signs with --private-key-file`)
  }
  const certificate = values['certificate-file'] === undefined ? undefined : await readTextFile('--certificate-file', values['certificate-file'])
  // private_key_jwt sends no secret: none is read (no OAUTH2_CLIENT_SECRET needed).
  const clientSecret = authMethod === 'private_key_jwt' ? undefined : await readSecret(
    {
      env: values['client-secret-env'],
      file: values['client-secret-file'],
      stdin: values['client-secret-stdin'],
      value: values['client-secret'],
    },
    io.env,
    io.stdin,
    (line) => io.err(`${line}\n`),
  )
  const client = new TokenClient({
    tokenUrl,
    clientId,
    ...(clientSecret !== undefined && { clientSecret }),
    ...(authMethod !== undefined && { authMethod: authMethod as 'client_secret_basic' }),
    ...(privateKey !== undefined && { privateKey }),
    ...(values['key-id'] !== undefined && { keyId: values['key-id'] }),
    ...(values['signing-algorithm'] !== undefined && { signingAlgorithm: values['signing-algorithm'] as 'ES256' }),
    ...(certificate !== undefined && { certificate }),
    ...(values['basic-encoding'] !== undefined && { basicEncoding: values['basic-encoding'] as 'form' }),
    ...(values['allow-insecure-http'] !== undefined && { allowInsecureHttp: values['allow-insecure-http'] }),
    ...(values.audience !== undefined && { audience: values.audience }),
    ...(values.resource !== undefined && { resource: values.resource }),
    retry: values['no-retry']
      ? { retries: 0, deadlineMs: timeout, attemptTimeoutMs: timeout }
      : { deadlineMs: timeout, attemptTimeoutMs: Math.min(timeout, 10_000) },
  })
  try {
    const token = await client.getToken(values.scope ?? undefined)
    if (values.header) io.out(`Authorization: Bearer ${token.accessToken}\n`)
    else if (values.json) {
      io.out(
        `${JSON.stringify({ access_token: token.accessToken, token_type: token.tokenType, expires_at: token.expiresAt.toISOString(), scope: token.scope })}\n`,
      )
    } else io.out(`${token.accessToken}\n`)
  } finally {
    await client.close()
  }
}

/** A file's text, or a usage error naming the flag and the path (never a byte of the file). */
async function readTextFile(flag: string, path: string): Promise<string> {
  if (path === '') throw new UsageError(`${flag} must be a file path`)
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as { code?: unknown }).code
    throw new UsageError(`${flag} cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`)
  }
}

/**
 * The key of `--private-key-file`: a JWK when the file holds a JSON object, else the text, for
 * TokenClient to check as a PEM. No message quotes the file: JSON.parse's own, which may, is dropped.
 */
async function readPrivateKeyFile(path: string): Promise<string | JsonWebKey> {
  const text = await readTextFile('--private-key-file', path)
  if (!text.trimStart().startsWith('{')) return text
  let jwk: unknown
  try {
    jwk = JSON.parse(text)
  } catch {
    throw new UsageError('--private-key-file holds malformed JSON (a JWK was expected, or a PEM)')
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new UsageError('--private-key-file must hold a PEM or a JWK object')
  return jwk as JsonWebKey
}
