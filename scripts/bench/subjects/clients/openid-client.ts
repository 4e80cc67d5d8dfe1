// openid-client: no cache, a token request per call.
import { CLIENT_SECRET } from '../../config.js'
import { accessTokenField, type Client, type ClientAdapter } from './client.js'

export const openidClient = {
  id: 'openid-client',
  label: 'openid-client 6',
  caches: false,
  how: '`clientCredentialsGrant(config, { scope })` with `ClientSecretBasic()`; no cache, a request per call.',
  async create(server, { clientId }): Promise<ClientAdapter> {
    const openid = await import('openid-client')
    const config = new openid.Configuration(
      { issuer: server.issuer, token_endpoint: server.tokenUrl },
      clientId,
      CLIENT_SECRET,
      openid.ClientSecretBasic(),
    )
    openid.allowInsecureRequests(config)
    const grant = (scope: string) => openid.clientCredentialsGrant(config, { scope })
    return { get: grant, fresh: grant, tokenOf: accessTokenField, close: async () => {} }
  },
} as const satisfies Client
