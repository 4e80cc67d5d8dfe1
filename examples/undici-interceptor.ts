// The undici interceptor: every request made through the composed dispatcher (undici's `request`,
// `stream` and `fetch`) to a listed origin carries the bearer token.
//
//   OAUTH2_TOKEN_URL=... OAUTH2_CLIENT_ID=... OAUTH2_CLIENT_SECRET=... API_URL=... npx tsx examples/undici-interceptor.ts
//
// undici is a dependency of oauth2-client-credentials; add it to your own package.json when you import it.
import { TokenClient, tokenInterceptor } from 'oauth2-client-credentials'
import { Agent, fetch, interceptors, request } from 'undici'

function env(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`set ${name}`)
  return value
}

const apiUrl = new URL(env('API_URL'))
const client = new TokenClient({
  tokenUrl: env('OAUTH2_TOKEN_URL'),
  clientId: env('OAUTH2_CLIENT_ID'),
  clientSecret: env('OAUTH2_CLIENT_SECRET'),
})
const dispatcher = new Agent().compose(
  tokenInterceptor({ client, scope: 'orders:read', origins: [apiUrl.origin] }),
  interceptors.redirect({ maxRedirections: 3 }), // optional; the token never follows to another origin
)

try {
  const { statusCode, body } = await request(apiUrl, { dispatcher })
  const json = (await body.json()) as { client_id?: string; scope?: string }
  console.log(`request: ${statusCode}, client ${json.client_id}, scope ${json.scope}`)

  const res = await fetch(apiUrl, { dispatcher })
  console.log(`fetch: ${res.status}, ${JSON.stringify(await res.json())}`)
} finally {
  await dispatcher.close()
  await client.close()
}
