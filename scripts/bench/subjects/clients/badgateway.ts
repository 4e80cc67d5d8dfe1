// @badgateway/oauth2-client: its token-keeping helper, OAuth2Fetch, which holds one token; so one
// helper per scope.
import { CLIENT_SECRET } from '../../config.js'
import { accessTokenProperty, type Client, type ClientAdapter } from './client.js'

export const badgateway = {
  id: 'badgateway',
  label: '@badgateway/oauth2-client 3',
  caches: true,
  how:
    '`OAuth2Fetch.getToken()` of an `OAuth2Fetch` per scope whose `getNewToken` is `client.clientCredentials({ scope })` ' +
    '(its token-keeping helper; one token per instance); fresh: `refreshToken()`.',
  async create(server, { clientId }): Promise<ClientAdapter> {
    const { OAuth2Client, OAuth2Fetch } = await import('@badgateway/oauth2-client')
    const client = new OAuth2Client({
      server: server.issuer,
      tokenEndpoint: '/token',
      clientId,
      clientSecret: CLIENT_SECRET,
      authenticationMethod: 'client_secret_basic',
    })
    type Fetcher = InstanceType<typeof OAuth2Fetch>
    const fetchers = new Map<string, Fetcher>()
    let lastScope: string | undefined
    let lastFetcher: Fetcher | undefined
    const fetcher = (scope: string): Fetcher => {
      if (scope === lastScope && lastFetcher !== undefined) return lastFetcher
      let found = fetchers.get(scope)
      if (found === undefined) {
        found = new OAuth2Fetch({ client, getNewToken: () => client.clientCredentials({ scope: [scope] }) })
        fetchers.set(scope, found)
      }
      lastScope = scope
      lastFetcher = found
      return found
    }
    return {
      get: (scope) => fetcher(scope).getToken(),
      fresh: (scope) => fetcher(scope).refreshToken(),
      tokenOf: accessTokenProperty,
      close: async () => {},
    }
  },
} as const satisfies Client
