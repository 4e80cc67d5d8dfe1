// An ES module TypeScript consumer, compiled with moduleResolution node16 and bundler.
import { OAuthError, TokenClient, createAuthFetch, tokenInterceptor, type AccessToken, type TokenClientOptions } from 'oauth2-client-credentials'
import { startReferenceServer, type ReferenceServer } from 'oauth2-client-credentials/server'

const server: ReferenceServer = await startReferenceServer({ clients: [{ clientId: 'svc', clientSecret: 's', scopes: ['api:read'] }] })
const options: TokenClientOptions = { tokenUrl: server.tokenUrl, clientId: 'svc', clientSecret: 's', retry: { retries: 1 } }
const client = new TokenClient(options)
const token: AccessToken = await client.getToken('api:read')
const bearer: string = token.accessToken
const authFetch = createAuthFetch(client, { scope: 'api:read', origins: [server.url] })
const response: Response = await authFetch(server.resourceUrl)
const interceptor = tokenInterceptor({ client, origins: [server.url] })

export function describeError(error: unknown): string {
  return error instanceof OAuthError ? `${error.error} (${error.status})` : String(error)
}
export { bearer, interceptor, response }

// The shipped declarations refuse wrong options too.
// @ts-expect-error authMethod is a closed union
new TokenClient({ ...options, authMethod: 'mtls' })
// @ts-expect-error retry is options or false
new TokenClient({ ...options, retry: 3 })
// @ts-expect-error there is no default export
import defaultExport from 'oauth2-client-credentials'
void defaultExport
