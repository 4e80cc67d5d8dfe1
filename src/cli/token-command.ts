import type { JsonWebKey } from 'node:crypto'
import { parseArgs } from 'node:util'
import { Agent } from 'undici'
import { TokenClient } from '../client/token-client.js'
import { MAX_TIMER_DELAY_MS } from '../timer-limit.js'
import { UsageError } from './exit-codes.js'
import { readFlagFile } from './flag-file.js'
import { printSteps } from './verbose-steps.js'
import type { CommandIo } from './io.js'
import { DEFAULT_SECRET_ENV, readSecret } from './read-secret.js'

export const TOKEN_HELP = `Usage: oauth2-client-credentials token (--token-url URL | --issuer URL) --client-id ID [options]

Gets a client-credentials access token and prints it.

  --token-url URL            the token endpoint (or OAUTH2_TOKEN_URL)
  --issuer URL               instead of --token-url: the issuer, whose metadata (RFC 8414, then
                             OpenID Discovery) gives the token endpoint and, without --auth-method,
                             the auth method (or OAUTH2_ISSUER)
  --client-id ID             the client id (or OAUTH2_CLIENT_ID)
  --scope SCOPE              scope to ask for; repeat or space-separate for several
  --audience AUDIENCE        the audience parameter (Auth0 and others)
  --resource URI             an RFC 8707 resource indicator; may repeat
  --auth-method METHOD       client_secret_basic (default), client_secret_post, client_secret_jwt,
                             private_key_jwt (the default with --private-key-file), tls_client_auth
                             (the default with --tls-cert and no secret flag) or
                             self_signed_tls_client_auth
  --basic-encoding ENCODING  form (default, RFC 6749) or raw, for servers that do not decode
  --allow-insecure-http      allow plain http to a non-loopback token URL
  --timeout MS               give up after this long (default 30000)
  --no-retry                 a single attempt: no retry after a network failure, a timeout,
                             408, 429 or 5xx
  --verbose                  print each step to stderr: the discovery and the auth method, every
                             attempt with its status and time, retries and DPoP nonce retries,
                             where the token came from (never a secret, key or token)

A private key instead of a secret (private_key_jwt; no client secret is read):
  --private-key-file PATH    the private key: a PEM (PKCS#8, SEC1 or PKCS#1) or a private JWK as JSON
                             (see the keygen command); never printed
  --key-id KID               the kid header of the assertions (default: the JWK's kid, else none)
  --signing-algorithm ALG    RS256, PS256, ES256, EdDSA, ... (default: from the key)
  --certificate-file PATH    a PEM certificate of the key, for the x5t#S256 header (Entra ID)

A client certificate (mutual TLS, RFC 8705: tls_client_auth, or certificate-bound tokens):
  --tls-cert PATH            the client certificate, PEM (a chain may follow it)
  --tls-key PATH             its private key, PEM (unencrypted); never printed
  --tls-ca PATH              the CA to trust for the server, PEM (also without --tls-cert, say
                             for 'serve --tls DIR': --tls-ca DIR/ca.pem)
  With --tls-cert and no secret flag no secret is read: the certificate authenticates
  (tls_client_auth, or what the metadata lists with --issuer). With a secret flag or a
  --auth-method of a secret, the secret authenticates and the certificate binds the token.

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
      issuer: { type: 'string' },
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
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-ca': { type: 'string' },
      header: { type: 'boolean' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
    },
  })
  if (values.header && values.json) throw new UsageError('use --header or --json, not both')
  if (values['token-url'] !== undefined && values.issuer !== undefined) {
    throw new UsageError('use --token-url or --issuer (to discover the token endpoint), not both')
  }
  const issuer = values.issuer ?? (values['token-url'] === undefined ? io.env.OAUTH2_ISSUER || undefined : undefined)
  const tokenUrl = issuer === undefined ? values['token-url'] ?? io.env.OAUTH2_TOKEN_URL : undefined
  const clientId = values['client-id'] ?? io.env.OAUTH2_CLIENT_ID
  if (!tokenUrl && !issuer) throw new UsageError('--token-url or --issuer is required (or set OAUTH2_TOKEN_URL or OAUTH2_ISSUER)')
  if (!clientId) throw new UsageError('--client-id is required (or set OAUTH2_CLIENT_ID)')
  const timeout = values.timeout === undefined ? 30_000 : Number(values.timeout)
  if (!(timeout > 0 && timeout <= MAX_TIMER_DELAY_MS)) {
    throw new UsageError(`--timeout must be a positive number of milliseconds, at most ${MAX_TIMER_DELAY_MS}`)
  }
  const privateKey = values['private-key-file'] === undefined ? undefined : await readPrivateKeyFile(values['private-key-file'])
  const secretFlags = ['client-secret-env', 'client-secret-file', 'client-secret-stdin', 'client-secret'] as const
  const secretFlag = secretFlags.find((flag) => values[flag] !== undefined)
  const tls = await tlsFlags(values)
  // A certificate and no secret flag: the certificate authenticates (with --issuer, as the metadata says).
  const certificateOnly = tls?.key !== undefined && privateKey === undefined && secretFlag === undefined
  const authMethod =
    values['auth-method'] ??
    (privateKey !== undefined ? 'private_key_jwt' : certificateOnly && issuer === undefined ? 'tls_client_auth' : undefined)
  const signs = authMethod === 'private_key_jwt' || authMethod === 'tls_client_auth' || authMethod === 'self_signed_tls_client_auth'
  if (signs && secretFlag !== undefined) {
    const by = authMethod === 'private_key_jwt' ? 'signs with --private-key-file' : 'authenticates with --tls-cert'
    throw new UsageError(`--${secretFlag} is not used with --auth-method ${authMethod}, which ${by}`)
  }
  const readsNoSecret = signs || (authMethod === undefined && issuer !== undefined && (privateKey !== undefined || certificateOnly))
  const certificate = values['certificate-file'] === undefined ? undefined : await readFlagFile('--certificate-file', values['certificate-file'])
  // private_key_jwt and the mutual-TLS methods send no secret: none is read (no OAUTH2_CLIENT_SECRET needed).
  const clientSecret = readsNoSecret ? undefined : await readSecret(
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
  const trustOnly = tls?.cert === undefined && tls?.ca !== undefined ? trusting(tls.ca) : undefined
  const client = new TokenClient({
    ...(issuer !== undefined ? { issuer } : { tokenUrl }),
    clientId,
    ...(clientSecret !== undefined && { clientSecret }),
    ...(authMethod !== undefined && { authMethod: authMethod as 'client_secret_basic' }),
    ...(privateKey !== undefined && { privateKey }),
    ...(values['key-id'] !== undefined && { keyId: values['key-id'] }),
    ...(values['signing-algorithm'] !== undefined && { signingAlgorithm: values['signing-algorithm'] as 'ES256' }),
    ...(certificate !== undefined && { certificate }),
    // --tls-cert and --tls-key go together (tlsFlags), so a cert has its key.
    ...(tls?.cert !== undefined && { tls: { cert: tls.cert, key: tls.key as string, ...(tls.ca !== undefined && { ca: tls.ca }) } }),
    ...(trustOnly !== undefined && { dispatcher: trustOnly }),
    ...(values['basic-encoding'] !== undefined && { basicEncoding: values['basic-encoding'] as 'form' }),
    ...(values['allow-insecure-http'] !== undefined && { allowInsecureHttp: values['allow-insecure-http'] }),
    ...(values.audience !== undefined && { audience: values.audience }),
    ...(values.resource !== undefined && { resource: values.resource }),
    retry: values['no-retry']
      ? { retries: 0, deadlineMs: timeout, attemptTimeoutMs: timeout }
      : { deadlineMs: timeout, attemptTimeoutMs: Math.min(timeout, 10_000) },
  })
  const stopSteps = values.verbose ? printSteps((line) => io.err(`${line}\n`)) : undefined
  if (values.verbose) {
    const { authMethod, tokenUrl: url, issuer: configuredIssuer } = client.options
    const how = values['auth-method'] !== undefined ? 'given' : authMethod === undefined ? 'to be chosen from the metadata' : 'the default for the flags given'
    io.err(`oauth2-client-credentials: client ${clientId}, ${url ?? `issuer ${configuredIssuer ?? ''}`}, auth method ${authMethod ?? '(discovery)'} (${how})\n`)
  }
  try {
    const token = await client.getToken(values.scope ?? undefined)
    if (values.verbose) {
      io.err(`oauth2-client-credentials: got a ${token.tokenType} token, expires ${token.expiresAt.toISOString()}${token.scope === undefined ? '' : `, scope "${token.scope}"`}\n`)
    }
    if (values.header) io.out(`Authorization: Bearer ${token.accessToken}\n`)
    else if (values.json) {
      io.out(
        `${JSON.stringify({ access_token: token.accessToken, token_type: token.tokenType, expires_at: token.expiresAt.toISOString(), scope: token.scope })}\n`,
      )
    } else io.out(`${token.accessToken}\n`)
  } finally {
    stopSteps?.()
    await client.close()
    await trustOnly?.close()
  }
}

/** The files of `--tls-cert`, `--tls-key` and `--tls-ca`, read; `undefined` with none of them. */
async function tlsFlags(values: { 'tls-cert'?: string; 'tls-key'?: string; 'tls-ca'?: string }): Promise<{ cert?: string; key?: string; ca?: string } | undefined> {
  const { 'tls-cert': certFile, 'tls-key': keyFile, 'tls-ca': caFile } = values
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--tls-cert and --tls-key go together')
  if (certFile === undefined && caFile === undefined) return undefined
  return {
    ...(certFile !== undefined && { cert: await readFlagFile('--tls-cert', certFile) }),
    ...(keyFile !== undefined && { key: await readFlagFile('--tls-key', keyFile) }),
    ...(caFile !== undefined && { ca: await readFlagFile('--tls-ca', caFile) }),
  }
}

/** `--tls-ca` without a client certificate: a dispatcher that trusts the CA, closed with the process. */
function trusting(ca: string): Agent {
  return new Agent({ connect: { ca } })
}


/**
 * The key of `--private-key-file`: a JWK when the file holds a JSON object, else the text, for
 * TokenClient to check as a PEM. No message quotes the file: JSON.parse's own, which may, is dropped.
 */
async function readPrivateKeyFile(path: string): Promise<string | JsonWebKey> {
  const text = await readFlagFile('--private-key-file', path)
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
