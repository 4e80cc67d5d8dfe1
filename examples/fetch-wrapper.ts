// The fetch wrapper: `authFetch` has fetch's signature and adds the bearer token to requests for
// the listed origins only. Renewal after an `invalid_token` 401, redirects and caching are handled.
//
//   OAUTH2_TOKEN_URL=... OAUTH2_CLIENT_ID=... OAUTH2_CLIENT_SECRET=... API_URL=... npx tsx examples/fetch-wrapper.ts
import { TokenClient, createAuthFetch } from 'oauth2-client-credentials'

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
const authFetch = createAuthFetch(client, {
  scope: 'orders:read',
  origins: [apiUrl.origin], // the token goes here and nowhere else
})

try {
  // Three concurrent requests on a cold cache: one token request.
  const responses = await Promise.all([1, 2, 3].map(() => authFetch(apiUrl, { signal: AbortSignal.timeout(10_000) })))
  for (const res of responses) {
    const body = (await res.json()) as { client_id?: string; scope?: string }
    console.log(`${res.status} ${res.url}: client ${body.client_id}, scope ${body.scope}`)
  }
  // A POST with a JSON body: replayable, so a 401 invalid_token would be retried once with a new token.
  const posted = await authFetch(apiUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ item: 'book', quantity: 1 }),
  })
  console.log(`POST ${posted.status}: ${JSON.stringify(await posted.json())}`)
} finally {
  await client.close()
}
