import { parseArgs } from 'node:util'
import { startReferenceServer, type Quirk, type ReferenceServerOptions } from '../server/index.js'
import { UsageError } from './exit-codes.js'
import type { CommandIo } from './io.js'

export const SERVE_HELP = `Usage: oauth2-client-credentials serve [options]

Runs the reference token server until SIGINT or SIGTERM, for integration tests in any language.
Prints the issuer and the token URL (or, with --json, one JSON line) once it listens.

  --client ID:SECRET           a client (the secret is everything after the first colon,
                               so it may hold colons); may repeat
  --scope SCOPE                a scope the --client clients may ask for; may repeat
  --clients-file PATH          clients from a JSON file, each with its own scopes:
                               {"clients":[{"clientId":"svc","secretHash":"sha256:...",
                               "scopes":["api:read"]}]}
  --host HOST                  address to listen on (default 127.0.0.1)
  --port PORT                  port (default 0: any free port)
  --token-lifetime SECONDS     expires_in of issued tokens (default 3600)
  --token-format FORMAT        opaque (default) or jwt
  --signing-alg ALG            for jwt: ES256 (default), RS256 or EdDSA
  --log-limit N                requests the server's log keeps, the latest (default 10000);
                               0 turns the log off
  --quirk QUIRK                behave like servers that bend the rules; may repeat: errors-as-400,
                               lowercase-bearer, string-expires-in, no-expires-in, no-scope-echo,
                               raw-basic, form-response
  --json                       print {"issuer", "tokenUrl", ...} as one JSON line

Example:
  oauth2-client-credentials serve --port 8400 --client 'svc:s3cr:et%' --scope api:read --scope api:write
`

/** Parses `ID:SECRET`: the id ends at the first colon; the secret is the rest, colons and all. */
export function parseClientFlag(flag: string): { clientId: string; clientSecret: string } {
  const colon = flag.indexOf(':')
  if (colon <= 0) throw new UsageError('--client must be ID:SECRET')
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
      'token-lifetime': { type: 'string' },
      'token-format': { type: 'string' },
      'signing-alg': { type: 'string' },
      'log-limit': { type: 'string' },
      quirk: { type: 'string', multiple: true },
      json: { type: 'boolean' },
    },
  })
  const scopes = (values.scope ?? []).flatMap((scope) => scope.split(' ')).filter((scope) => scope !== '')
  const clients = (values.client ?? []).map((flag) => ({ ...parseClientFlag(flag), scopes }))
  if (clients.length === 0 && values['clients-file'] === undefined) {
    throw new UsageError('give at least one --client ID:SECRET or a --clients-file')
  }
  const options: ReferenceServerOptions = { clients }
  if (values['clients-file'] !== undefined) options.clientsFile = values['clients-file']
  if (values.host !== undefined) {
    options.host = values.host
    options.allowNonLoopback = true
  }
  if (values.port !== undefined) options.port = integer('--port', values.port)
  if (values['token-lifetime'] !== undefined) options.tokenLifetime = integer('--token-lifetime', values['token-lifetime'])
  if (values['token-format'] !== undefined) options.tokenFormat = values['token-format'] as 'opaque'
  if (values['signing-alg'] !== undefined) options.signingAlgorithm = values['signing-alg'] as 'ES256'
  if (values['log-limit'] !== undefined) options.logLimit = integer('--log-limit', values['log-limit'])
  if (values.quirk !== undefined) options.quirks = values.quirk as Quirk[]

  const server = await startReferenceServer(options)
  if (values.json) {
    io.out(`${JSON.stringify({ issuer: server.issuer, tokenUrl: server.tokenUrl, port: server.port })}\n`)
  } else {
    io.out(`issuer:    ${server.issuer}\ntoken URL: ${server.tokenUrl}\n`)
  }
  await new Promise<void>((resolve) => {
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
  await server.close()
}

// Digits only: Number() would also take '', ' 7', '1e3' and '0x10'.
function integer(flag: string, text: string): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new UsageError(`${flag} must be a whole number`)
  return value
}
