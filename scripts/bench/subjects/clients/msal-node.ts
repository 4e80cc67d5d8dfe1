// @azure/msal-node: a confidential client application, pointed at the plain-http reference server
// through a network client of its own (MSAL refuses http: authorities).
import { Agent, request } from 'undici'
import { CLIENT_SECRET } from '../../config.js'
import { accessTokenProperty, type Client, type ClientAdapter } from './client.js'

export const msalNode = {
  id: 'msal-node',
  label: '@azure/msal-node 7',
  caches: true,
  how:
    '`ConfidentialClientApplication.acquireTokenByClientCredential({ scopes: [scope] })`; fresh: `skipCache: true`. ' +
    'MSAL refuses `http:` authorities, so it is given `https://127.0.0.1:<port>` with `authorityMetadata` and a ' +
    '`system.networkClient` that sends its POSTs to the plain-http server with undici.',
  async create(server, { clientId }): Promise<ClientAdapter> {
    const { ConfidentialClientApplication, LogLevel } = await import('@azure/msal-node')
    type NetworkClient = NonNullable<NonNullable<ConstructorParameters<typeof ConfidentialClientApplication>[0]['system']>['networkClient']>
    const authority = `https://127.0.0.1:${server.port}`
    const dispatcher = new Agent()
    const networkClient: NetworkClient = {
      sendGetRequestAsync: (url) => Promise.reject(new Error(`unexpected GET ${url}`)),
      async sendPostRequestAsync(url, options) {
        const response = await request(url.replace(authority, server.issuer), {
          method: 'POST',
          headers: options?.headers ?? {},
          body: options?.body ?? null,
          dispatcher,
        })
        const headers: Record<string, string> = {}
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
        }
        return { headers, body: (await response.body.json()) as never, status: response.statusCode }
      },
    }
    const app = new ConfidentialClientApplication({
      auth: {
        clientId,
        clientSecret: CLIENT_SECRET,
        authority: `${authority}/`,
        knownAuthorities: [`127.0.0.1:${server.port}`],
        authorityMetadata: JSON.stringify({
          issuer: authority,
          token_endpoint: `${authority}/token`,
          authorization_endpoint: `${authority}/authorize`,
          end_session_endpoint: `${authority}/logout`,
          jwks_uri: `${authority}/jwks`,
        }),
      },
      system: { networkClient, protocolMode: 'OIDC' as never, loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => {} } },
    })
    const acquire = async (scope: string, skipCache: boolean) => {
      const result = await app.acquireTokenByClientCredential({ scopes: [scope], skipCache })
      if (result === null) throw new Error('MSAL returned null')
      return result
    }
    return {
      get: (scope) => acquire(scope, false),
      fresh: (scope) => acquire(scope, true),
      tokenOf: accessTokenProperty,
      close: () => dispatcher.close(),
    }
  },
} as const satisfies Client
