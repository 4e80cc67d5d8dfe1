// simple-oauth2: no cache, a token request per call.
import { CLIENT_SECRET } from '../../config.js'
import { accessTokenField, type Client, type ClientAdapter } from './client.js'

export const simpleOauth2 = {
  id: 'simple-oauth2',
  label: 'simple-oauth2 5',
  caches: false,
  how: "`new ClientCredentials(...).getToken({ scope })`, `authorizationMethod: 'header'`; no cache.",
  async create(server, { clientId }): Promise<ClientAdapter> {
    const { ClientCredentials } = await import('simple-oauth2')
    const client = new ClientCredentials({
      client: { id: clientId, secret: CLIENT_SECRET },
      auth: { tokenHost: server.issuer, tokenPath: '/token' },
      options: { authorizationMethod: 'header' },
    })
    const grant = (scope: string) => client.getToken({ scope })
    return {
      get: grant,
      fresh: grant,
      tokenOf: (result) => accessTokenField((result as { token: unknown }).token),
      close: async () => {},
    }
  },
} as const satisfies Client
