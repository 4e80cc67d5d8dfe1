// oauth4webapi: no cache, a token request per call.
import { CLIENT_SECRET } from '../../config.js'
import { accessTokenField, type Client, type ClientAdapter } from './client.js'

export const oauth4webapi = {
  id: 'oauth4webapi',
  label: 'oauth4webapi 3',
  caches: false,
  how: '`clientCredentialsGrantRequest` + `processClientCredentialsResponse` with `ClientSecretBasic`; no cache.',
  async create(server, { clientId }): Promise<ClientAdapter> {
    const oauth = await import('oauth4webapi')
    const as: import('oauth4webapi').AuthorizationServer = { issuer: server.issuer, token_endpoint: server.tokenUrl }
    const client: import('oauth4webapi').Client = { client_id: clientId }
    const auth = oauth.ClientSecretBasic(CLIENT_SECRET)
    const options = { [oauth.allowInsecureRequests]: true }
    const grant = async (scope: string) => {
      const response = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams({ scope }), options)
      return oauth.processClientCredentialsResponse(as, client, response)
    }
    return { get: grant, fresh: grant, tokenOf: accessTokenField, close: async () => {} }
  },
} as const satisfies Client
