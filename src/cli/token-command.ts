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
  --auth-method METHOD       client_secret_basic (default), client_secret_post or client_secret_jwt
  --basic-encoding ENCODING  form (default, RFC 6749) or raw, for servers that do not decode
  --allow-insecure-http      allow plain http to a non-loopback token URL
  --timeout MS               give up after this long (default 30000)
  --no-retry                 a single attempt: no retry after a network failure, a timeout,
                             408, 429 or 5xx

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
  const clientSecret = await readSecret(
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
    clientSecret,
    ...(values['auth-method'] !== undefined && { authMethod: values['auth-method'] as 'client_secret_basic' }),
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
