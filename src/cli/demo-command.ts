import { TokenClient } from '../client/token-client.js'
import { startReferenceServer } from '../server/index.js'
import type { CommandIo } from './io.js'

export const DEMO_HELP = `Usage: oauth2-client-credentials demo

Starts the bundled reference server on 127.0.0.1, gets a token with a secret full of reserved
characters, shows the second call served from the cache and 50 concurrent calls making one
request, then stops. Takes no options.
`

/** Runs `demo`: the reference server, a TokenClient, and what the cache saves. */
export async function demoCommand(args: string[], io: CommandIo): Promise<void> {
  if (args.length > 0) io.err(`demo takes no options; ignoring ${args.join(' ')}\n`)
  const clientSecret = 's3cr:et% +&=/' // reserved characters on purpose: Basic form-encodes them (RFC 6749 §2.3.1)
  const server = await startReferenceServer({
    clients: [{ clientId: 'orders-service', clientSecret, scopes: ['orders:read', 'orders:write', 'audit:read'] }],
  })
  const client = new TokenClient({ tokenUrl: server.tokenUrl, clientId: 'orders-service', clientSecret })
  const requests = () => server.log.tokenRequests().length
  const elapsed = (start: bigint) => `${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(2)} ms`.padStart(10)
  const say = (line = '') => io.out(`${line}\n`)
  try {
    say(`reference server: ${server.tokenUrl}`)
    say()
    let start = process.hrtime.bigint()
    const first = await client.getToken('orders:read')
    say(`1. first getToken('orders:read')       ${elapsed(start)}  token requests so far: ${requests()}`)
    say(`   ${String(first)}`)

    start = process.hrtime.bigint()
    const second = await client.getToken('orders:read')
    say(`2. second call, served from the cache  ${elapsed(start)}  token requests so far: ${requests()}  (same token: ${second === first})`)

    start = process.hrtime.bigint()
    const many = await Promise.all(Array.from({ length: 50 }, () => client.getToken(['orders:write', 'audit:read'])))
    const distinct = new Set(many.map((token) => token.accessToken)).size
    say(`3. 50 concurrent calls, cold cache     ${elapsed(start)}  token requests so far: ${requests()}  (distinct tokens: ${distinct})`)

    const last = server.log.tokenRequests().at(-1)
    say()
    say(`the server saw: ${last?.authMethod}, Basic form-encoded: ${last?.basicFormEncoded}, scope "${last?.params.scope?.[0]}"`)
    say(`the client as JSON shows no secret: ${JSON.stringify(client)}`)
    say()
    say(`summary: 52 getToken calls, ${requests()} token requests`)
  } finally {
    await client.close()
    await server.close()
  }
}
