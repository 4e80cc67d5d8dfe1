// This package's TokenClient, imported by name so that it runs from dist/ as it ships.
import { CLIENT_SECRET } from '../../config.js'
import { accessTokenProperty, type Client, type ClientAdapter } from './client.js'

export const tokenClient = {
  id: 'token-client',
  label: 'oauth2-client-credentials TokenClient',
  caches: true,
  how: '`client.getToken(scope)`; fresh: `getToken(scope, { forceRefresh: true })`.',
  async create(server, { clientId, maxEntries }): Promise<ClientAdapter> {
    const { TokenClient } = await import('oauth2-client-credentials')
    const client = new TokenClient({
      tokenUrl: server.tokenUrl,
      clientId,
      clientSecret: CLIENT_SECRET,
      ...(maxEntries === undefined ? {} : { cache: { maxEntries } }),
    })
    return {
      get: (scope) => client.getToken(scope),
      fresh: (scope) => client.getToken(scope, { forceRefresh: true }),
      tokenOf: accessTokenProperty,
      close: () => client.close(),
    }
  },
} as const satisfies Client
