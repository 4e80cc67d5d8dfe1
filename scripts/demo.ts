// `npm run demo`: the bundled reference server, a TokenClient, and what the cache saves.
import { TokenClient } from '../src/index.js'
import { startReferenceServer } from '../src/server/index.js'

const clientSecret = 's3cr:et% +&=/' // reserved characters on purpose: Basic form-encodes them (RFC 6749 §2.3.1)
const server = await startReferenceServer({
  clients: [{ clientId: 'orders-service', clientSecret, scopes: ['orders:read', 'orders:write', 'audit:read'] }],
})
const client = new TokenClient({ tokenUrl: server.tokenUrl, clientId: 'orders-service', clientSecret })
const requests = () => server.log.tokenRequests().length
const ms = (start: bigint) => `${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(2)} ms`

try {
  console.log(`reference server: ${server.tokenUrl}\n`)

  let start = process.hrtime.bigint()
  const first = await client.getToken('orders:read')
  console.log(`1. first getToken('orders:read')      ${ms(start).padStart(10)}  token requests so far: ${requests()}`)
  console.log(`   ${String(first)}`)

  start = process.hrtime.bigint()
  const second = await client.getToken('orders:read')
  console.log(`2. second call, served from the cache ${ms(start).padStart(10)}  token requests so far: ${requests()}  (same token: ${second === first})`)

  start = process.hrtime.bigint()
  const many = await Promise.all(Array.from({ length: 50 }, () => client.getToken(['orders:write', 'audit:read'])))
  const distinct = new Set(many.map((token) => token.accessToken)).size
  console.log(`3. 50 concurrent calls, cold cache    ${ms(start).padStart(10)}  token requests so far: ${requests()}  (distinct tokens: ${distinct})`)

  const last = server.log.tokenRequests().at(-1)
  console.log(`\nthe server saw: auth ${last?.authMethod}, Basic form-encoded: ${last?.basicFormEncoded}, scope "${last?.params.scope?.[0]}"`)
  console.log(`inspecting the client shows no secret: ${JSON.stringify(client)}`)
  console.log(`\nsummary: 52 getToken calls, ${requests()} token requests`)
} finally {
  await client.close()
  await server.close()
}
