import { createPublicKey, X509Certificate } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { exportJWK } from 'jose'
import {
  startReferenceServer,
  type ClientJwk,
  type Quirk,
  type ReferenceClient,
  type ReferenceServer,
  type ReferenceServerOptions,
} from '../server/index.js'
import { isLoopbackHost } from '../protocol/loopback.js'
import { UsageError } from './exit-codes.js'
import { readFlagFile } from './flag-file.js'
import type { CommandIo } from './io.js'
import { DEFAULT_SECRET_ENV } from './read-secret.js'

export const SERVE_HELP = `Usage: oauth2-client-credentials serve [options]

Runs the reference token server until SIGINT or SIGTERM, for integration tests in any language.
Prints the issuer and the token URL (or, with --json, one JSON line) once it listens.

Clients (at least one):
  --client ID                  a client whose secret is in the ${DEFAULT_SECRET_ENV}
                               environment variable; may repeat (they share the secret)
  --client ID:SECRET           a client and its secret (everything after the first colon, so it
                               may hold colons); may repeat. Accepted with a warning: the secret
                               lands in shell history and the process list
  --key-client ID:FILE         a private_key_jwt client whose public key is in FILE: a JWK (the
                               last line of the keygen command), a JWK Set, or a PEM public key or
                               certificate; may repeat
  --mtls-client ID             a tls_client_auth client (with --tls or --tls-cert): its certificate
                               has the subject CN=ID and chains to the client CA; with --tls DIR,
                               its certificate and key are written to DIR/ID.pem and DIR/ID.key.pem;
                               may repeat
  --scope SCOPE                a scope the --client, --key-client and --mtls-client clients may
                               ask for; may repeat
  --clients-file PATH          clients from a JSON file, each with its own scopes (so not with
                               --scope), secrets stored hashed (see generate-secret, hash-secret):
                               {"clients":[{"clientId":"svc","secretHash":"sha256:...",
                               "scopes":["api:read"]}]}

Server:
  --host HOST                  address to listen on (default 127.0.0.1); anything but loopback
                               (0.0.0.0 for a container) serves plain http to the network
  --port PORT                  port (default 0: any free port)
  --issuer URL                 the URL other hosts reach the server by, such as http://auth:8400
                               from another container: the issuer, iss and endpoint URLs in the
                               metadata (default http://HOST:PORT)
  --token-lifetime SECONDS     expires_in of issued tokens (default 3600)
  --token-format FORMAT        opaque (default) or jwt
  --signing-alg ALG            for jwt: ES256 (default), RS256 or EdDSA
  --throttle MAX/SECONDS       brute-force protection: after MAX failed authentications within
                               SECONDS, a client id is refused, the right secret included, until
                               the window frees (default 5/60)
  --no-throttle                no brute-force protection, for tests that try wrong secrets
  --log-limit N                requests the server's log keeps, the latest (default 10000);
                               0 turns the log off
  --quirk QUIRK                behave like servers that bend the rules; may repeat: errors-as-400,
                               lowercase-bearer, string-expires-in, no-expires-in, no-scope-echo,
                               raw-basic, form-response
  --json                       print {"issuer", "tokenUrl", ...} as one JSON line

DPoP (RFC 9449; proofs are always accepted, and bind the token):
  --dpop-nonce                 require a server nonce in token-endpoint proofs (use_dpop_nonce)
  --dpop-resource-nonce        require a resource nonce in proofs at /resource
  --require-dpop               the --client, --key-client and --mtls-client clients get only
                               DPoP-bound tokens (dpop_bound_access_tokens)

HTTPS and mutual TLS (RFC 8705: tls_client_auth, certificate-bound tokens):
  --tls DIR                    serve https with a throwaway CA made at start: its certificate is
                               written to DIR/ca.pem (trust it), with the --mtls-client identities
  --tls-cert FILE              serve https with this certificate (PEM), and --tls-key FILE its key
  --tls-client-ca FILE         with --tls-cert: the CA that client certificates chain to
  Over https the mutual-TLS aliases are <issuer>/mtls/token, /mtls/introspect and /mtls/revoke
  (mtls_endpoint_aliases in the metadata): only there are client certificates looked at.

Examples:
  ${DEFAULT_SECRET_ENV}='s3cr:et%' oauth2-client-credentials serve --port 8400 --client svc \\
    --scope api:read --scope api:write
  oauth2-client-credentials serve --tls ./certs --mtls-client orders --key-client billing:billing.jwk.json \\
    --scope api:read
  oauth2-client-credentials serve --host 0.0.0.0 --port 8400 --issuer http://auth:8400 \\
    --clients-file clients.json
`

/**
 * A `--client` flag: `ID:SECRET` (see {@link parseClientFlag}), or `ID` alone, whose secret is in the
 * `OAUTH2_CLIENT_SECRET` environment variable, out of shell history and the process list.
 */
export function clientFlag(flag: string, env: NodeJS.ProcessEnv): { clientId: string; clientSecret: string } {
  if (flag.includes(':')) return parseClientFlag(flag)
  if (flag === '') throw new UsageError('--client needs a client id: --client ID or --client ID:SECRET')
  const clientSecret = env[DEFAULT_SECRET_ENV]
  if (clientSecret === undefined || clientSecret === '') {
    throw new UsageError(`--client ${flag}: no secret: set ${DEFAULT_SECRET_ENV}, or use --client ID:SECRET or a --clients-file`)
  }
  return { clientId: flag, clientSecret }
}

/**
 * Parses `--throttle MAX/SECONDS`: at most MAX failed authentications per client id within SECONDS.
 *
 * @example
 * parseThrottleFlag('5/60') // { maxFailures: 5, windowMs: 60_000 }
 */
export function parseThrottleFlag(flag: string): { maxFailures: number; windowMs: number } {
  const [max, seconds, extra] = flag.split('/')
  const problem = '--throttle must be MAX/SECONDS, two whole numbers above 0, such as 5/60'
  if (max === undefined || seconds === undefined || extra !== undefined) throw new UsageError(problem)
  const maxFailures = integer('--throttle', max, problem)
  const windowSeconds = integer('--throttle', seconds, problem)
  if (maxFailures === 0 || windowSeconds === 0) throw new UsageError(problem)
  return { maxFailures, windowMs: windowSeconds * 1000 }
}

// Listening on these is listening on every interface; as an issuer they name no host.
const WILDCARD_HOSTS: ReadonlySet<string> = new Set(['0.0.0.0', '::', '0:0:0:0:0:0:0:0'])

/** Parses `ID:SECRET`: the id ends at the first colon; the secret is the rest, colons and all. */
export function parseClientFlag(flag: string): { clientId: string; clientSecret: string } {
  const colon = flag.indexOf(':')
  if (colon <= 0) throw new UsageError('--client must be ID or ID:SECRET, and the ID not empty')
  const clientSecret = flag.slice(colon + 1)
  if (clientSecret === '') throw new UsageError(`--client ${flag.slice(0, colon)}: the secret is empty`)
  return { clientId: flag.slice(0, colon), clientSecret }
}

/** Runs `serve` until the process is told to stop. */
export async function serveCommand(args: string[], io: CommandIo, stopSignal?: AbortSignal): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      client: { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      'clients-file': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      issuer: { type: 'string' },
      'token-lifetime': { type: 'string' },
      'token-format': { type: 'string' },
      'signing-alg': { type: 'string' },
      throttle: { type: 'string' },
      'no-throttle': { type: 'boolean' },
      'log-limit': { type: 'string' },
      quirk: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      'key-client': { type: 'string', multiple: true },
      'mtls-client': { type: 'string', multiple: true },
      tls: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-client-ca': { type: 'string' },
      'dpop-nonce': { type: 'boolean' },
      'dpop-resource-nonce': { type: 'boolean' },
      'require-dpop': { type: 'boolean' },
    },
  })
  const warn = (line: string) => io.err(`${line}\n`)
  if (values.scope !== undefined && values['clients-file'] !== undefined) {
    throw new UsageError(
      '--scope sets the scopes of --client clients only; the clients of --clients-file take theirs from the file, so give each its "scopes" there',
    )
  }
  const scopes = (values.scope ?? []).flatMap((scope) => scope.split(' ')).filter((scope) => scope !== '')
  const flags = values.client ?? []
  const clients: ReferenceClient[] = flags.map((flag) => ({ ...clientFlag(flag, io.env), scopes }))
  for (const flag of values['key-client'] ?? []) clients.push({ ...(await keyClientFlag(flag)), scopes })
  const mtlsClients = values['mtls-client'] ?? []
  const tls = await tlsFlags(values, mtlsClients)
  for (const clientId of mtlsClients) clients.push({ clientId, tlsClientAuth: { subjectDn: `CN=${clientId}` }, scopes })
  if (clients.length === 0 && values['clients-file'] === undefined) {
    throw new UsageError(
      `give at least one --client ID (secret in ${DEFAULT_SECRET_ENV}), --client ID:SECRET, --key-client ID:FILE, --mtls-client ID or a --clients-file`,
    )
  }
  if (flags.some((flag) => flag.includes(':'))) {
    warn(
      'warning: --client ID:SECRET puts the secret in your shell history and process list; prefer --client ID ' +
        `with the secret in ${DEFAULT_SECRET_ENV}, or a --clients-file of hashed secrets (see hash-secret and generate-secret)`,
    )
  }
  if (values['require-dpop']) for (const client of clients) client.dpopBoundAccessTokens = true
  const options: ReferenceServerOptions = { clients, ...(tls !== undefined && { tls }) }
  if (values['dpop-nonce'] || values['dpop-resource-nonce']) {
    options.dpop = { nonce: values['dpop-nonce'] ? 'required' : 'off', resourceNonce: values['dpop-resource-nonce'] === true }
  }
  if (values['clients-file'] !== undefined) options.clientsFile = values['clients-file']
  if (values.host !== undefined) {
    options.host = values.host
    options.allowNonLoopback = true
  }
  if (values.port !== undefined) options.port = integer('--port', values.port)
  if (values.issuer !== undefined) options.issuer = values.issuer
  if (values['token-lifetime'] !== undefined) options.tokenLifetime = integer('--token-lifetime', values['token-lifetime'])
  if (values['token-format'] !== undefined) options.tokenFormat = values['token-format'] as 'opaque'
  if (values['signing-alg'] !== undefined) options.signingAlgorithm = values['signing-alg'] as 'ES256'
  if (values['no-throttle'] && values.throttle !== undefined) throw new UsageError('use --throttle or --no-throttle, not both')
  if (values['no-throttle']) options.throttle = false
  if (values.throttle !== undefined) options.throttle = parseThrottleFlag(values.throttle)
  if (values['log-limit'] !== undefined) options.logLimit = integer('--log-limit', values['log-limit'])
  if (values.quirk !== undefined) options.quirks = values.quirk as Quirk[]

  const server = await startReferenceServer(options)
  const written = values.tls === undefined ? undefined : await writeIdentities(server, values.tls, mtlsClients)
  if (values.host !== undefined && !isLoopbackHost(values.host) && tls === undefined) {
    const everywhere = WILDCARD_HOSTS.has(values.host)
    const where = everywhere ? `on all interfaces (${values.host})` : `on ${values.host}, which other hosts can reach`
    warn(`warning: listening ${where} over plain http: client secrets and tokens cross the network in cleartext; for containers and test networks only`)
    if (everywhere && values.issuer === undefined) {
      warn(`note: the issuer is ${server.issuer}, which other hosts cannot use; --issuer http://NAME:PORT publishes the name they reach this server by`)
    }
  }
  // Listening for the signals before the ready line: a script may send one as soon as it reads it.
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      stopSignal?.removeEventListener('abort', stop)
      resolve()
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    stopSignal?.addEventListener('abort', stop, { once: true })
  })
  if (values.json) {
    const ready = {
      issuer: server.issuer,
      tokenUrl: server.tokenUrl,
      port: server.port,
      ...(server.mtlsTokenUrl !== undefined && { mtlsTokenUrl: server.mtlsTokenUrl }),
      ...(written !== undefined && { caFile: written }),
    }
    io.out(`${JSON.stringify(ready)}\n`)
  } else {
    io.out(`issuer:    ${server.issuer}\ntoken URL: ${server.tokenUrl}\n`)
    if (server.mtlsTokenUrl !== undefined) io.out(`mTLS URL:  ${server.mtlsTokenUrl}\n`)
    if (written !== undefined) io.out(`CA:        ${written}\n`)
  }
  await stopped
  await server.close()
}

// What a client id must be to name the files of its certificate and key.
const FILE_SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** The `tls` option from `--tls DIR` or `--tls-cert`/`--tls-key`/`--tls-client-ca`, checked for sense. */
async function tlsFlags(
  values: { tls?: string; 'tls-cert'?: string; 'tls-key'?: string; 'tls-client-ca'?: string },
  mtlsClients: readonly string[],
): Promise<ReferenceServerOptions['tls']> {
  const given = values['tls-cert'] !== undefined || values['tls-key'] !== undefined
  if (values.tls !== undefined && (given || values['tls-client-ca'] !== undefined)) {
    throw new UsageError('--tls DIR makes its own certificates: not with --tls-cert, --tls-key or --tls-client-ca')
  }
  if (values.tls !== undefined) {
    if (values.tls === '') throw new UsageError('--tls needs a directory, where ca.pem and the --mtls-client identities are written')
    for (const clientId of mtlsClients) {
      if (!FILE_SAFE_ID.test(clientId)) {
        throw new UsageError(`--mtls-client ${clientId}: with --tls DIR the id names files, so letters, digits, '.', '_' and '-' only`)
      }
    }
    return true
  }
  if (!given) {
    if (values['tls-client-ca'] !== undefined) throw new UsageError('--tls-client-ca needs --tls-cert and --tls-key')
    if (mtlsClients.length > 0) throw new UsageError('--mtls-client needs https: --tls DIR, or --tls-cert and --tls-key')
    return undefined
  }
  if (values['tls-cert'] === undefined || values['tls-key'] === undefined) throw new UsageError('--tls-cert and --tls-key go together')
  const clientCa = values['tls-client-ca'] === undefined ? undefined : await readFlagFile('--tls-client-ca', values['tls-client-ca'])
  if (mtlsClients.length > 0 && clientCa === undefined) {
    throw new UsageError('--mtls-client with --tls-cert needs --tls-client-ca, the CA its certificate chains to')
  }
  return {
    cert: await readFlagFile('--tls-cert', values['tls-cert']),
    key: await readFlagFile('--tls-key', values['tls-key']),
    ...(clientCa !== undefined && { clientCa }),
  }
}

/**
 * With `--tls DIR`: writes the CA certificate and, for each `--mtls-client`, a certificate
 * (`CN=<id>`) and its key (mode 0600); resolves with the CA file's path.
 */
async function writeIdentities(server: ReferenceServer, dir: string, mtlsClients: readonly string[]): Promise<string> {
  const authority = server.certificateAuthority
  if (authority === undefined) throw new Error('--tls makes a certificate authority')
  await mkdir(dir, { recursive: true })
  const caFile = join(dir, 'ca.pem')
  await writeFile(caFile, authority.cert)
  for (const clientId of mtlsClients) {
    const identity = authority.issue({ subject: { commonName: clientId }, usage: 'client', validityDays: 30 })
    await writeFile(join(dir, `${clientId}.pem`), identity.cert)
    await writeFile(join(dir, `${clientId}.key.pem`), identity.key, { mode: 0o600 })
  }
  return caFile
}

/**
 * Parses `--key-client ID:FILE`: the client id, and the public key of FILE as a JWK Set. FILE holds
 * a JWK, a JWK Set, or a PEM public key or certificate; a private key is refused by the server.
 */
export async function keyClientFlag(flag: string): Promise<{ clientId: string; jwks: { keys: ClientJwk[] } }> {
  const colon = flag.indexOf(':')
  if (colon <= 0 || colon === flag.length - 1) throw new UsageError('--key-client must be ID:FILE, such as billing:billing.jwk.json')
  const clientId = flag.slice(0, colon)
  const file = flag.slice(colon + 1)
  const text = (await readFlagFile(`--key-client ${clientId}`, file)).trim()
  const privateKey = `--key-client ${clientId}: ${file} holds a private key; register the public key (the JWK that keygen prints last)`
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) throw new UsageError(privateKey)
  if (text.startsWith('{')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new UsageError(`--key-client ${clientId}: ${file} holds malformed JSON (a JWK, a JWK Set or a PEM was expected)`)
    }
    const record = parsed as { keys?: unknown }
    const keys = (Array.isArray(record.keys) ? record.keys : [parsed]) as ClientJwk[]
    if (keys.some((key) => typeof key === 'object' && key !== null && 'd' in key)) throw new UsageError(privateKey)
    return { clientId, jwks: { keys } }
  }
  try {
    const publicKey = text.includes('-----BEGIN CERTIFICATE-----') ? new X509Certificate(text).publicKey : createPublicKey(text)
    return { clientId, jwks: { keys: [(await exportJWK(publicKey)) as ClientJwk] } }
  } catch {
    throw new UsageError(`--key-client ${clientId}: ${file} holds no public key (a JWK, a JWK Set, a PEM public key or certificate)`)
  }
}


// Digits only: Number() would also take '', ' 7', '1e3' and '0x10'.
function integer(flag: string, text: string, problem = `${flag} must be a whole number`): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new UsageError(problem)
  return value
}
