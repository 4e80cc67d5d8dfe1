// Service code: get a client-credentials token and call an API with it.
//
//   export OAUTH2_TOKEN_URL=https://id.example.com/connect/token OAUTH2_CLIENT_ID=orders-service
//   export OAUTH2_CLIENT_SECRET=...  API_URL=https://api.example.com/orders
//   npx tsx examples/service.ts
//
// Try it without a server of your own: `npx oauth2-client-credentials serve --client 'orders-service:s3cr:et%'
// --scope orders:read` prints a token URL; its /resource path is a protected API to call.
import { OAuthError, TokenClient, isTokenClientError } from 'oauth2-client-credentials'

function env(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`set ${name}`)
  return value
}

// One client per process: it caches tokens and shares one request among concurrent callers.
const tokens = new TokenClient({
  tokenUrl: env('OAUTH2_TOKEN_URL'),
  clientId: env('OAUTH2_CLIENT_ID'),
  clientSecret: env('OAUTH2_CLIENT_SECRET'),
  scope: 'orders:read',
  retry: { onRetry: ({ attempt, error }) => console.warn(`token request attempt ${attempt} failed (${error.code}); retrying`) },
  onRefreshError: (error) => console.warn(`background token refresh failed (${error.code}); the current token is still used`),
})
const apiUrl = env('API_URL')

async function getOrders(): Promise<unknown> {
  const token = await tokens.getToken()
  const res = await fetch(apiUrl, { headers: { authorization: `Bearer ${token.accessToken}` } })
  if (res.status === 401) {
    // The API no longer accepts this token (revoked, say): drop it so the next call gets a new one.
    tokens.invalidate()
  }
  if (!res.ok) throw new Error(`orders API answered ${res.status}`)
  return res.json()
}

try {
  const orders = await getOrders()
  console.log('orders API answered:', JSON.stringify(orders))
  const again = await tokens.getToken()
  console.log(`token for the second call: ${again}`) // String(token) never shows the token itself
} catch (error) {
  if (error instanceof OAuthError) {
    console.error(`the token endpoint refused: ${error.error} (${error.status})`)
  } else if (isTokenClientError(error)) {
    switch (error.code) {
      case 'TRANSPORT_ERROR':
      case 'TIMEOUT':
        console.error(`the token endpoint could not be reached: ${error.message}`)
        break
      default:
        console.error(`no token: ${error.code}: ${error.message}`)
    }
  } else {
    console.error(error)
  }
  process.exitCode = 1
} finally {
  await tokens.close()
}
