// This package's reference server, imported by name so that it runs from dist/ as it ships, with
// opaque tokens or JWTs.
import { startReferenceServer, type ReferenceClient } from 'oauth2-client-credentials/server'
import { CLIENT_ID, CLIENT_SECRET, JWT_CLIENT_ID, MEMORY_CLIENT_ID, MEMORY_SCOPES, SCOPE, TOKEN_LIFETIME, memoryScope } from '../../config.js'
import type { RunningServer, Server, ServerSetup } from './server.js'

async function reference(tokenFormat: 'opaque' | 'jwt', setup: ServerSetup): Promise<RunningServer> {
  const clients: ReferenceClient[] = [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scopes: [SCOPE, ...(setup.extraScopes ?? [])] }]
  if (setup.memoryClient === true) {
    const scopes = Array.from({ length: MEMORY_SCOPES }, (_, index) => memoryScope(index))
    clients.push({ clientId: MEMORY_CLIENT_ID, clientSecret: CLIENT_SECRET, scopes })
  }
  if (setup.jwtClientJwks !== undefined) clients.push({ clientId: JWT_CLIENT_ID, jwks: setup.jwtClientJwks, scopes: [SCOPE] })
  const server = await startReferenceServer({
    clients,
    tokenFormat,
    tokenLifetime: setup.tokenLifetime ?? TOKEN_LIFETIME,
    logLimit: 0,
    throttle: false,
  })
  if (setup.tokenDelayMs !== undefined && setup.tokenDelayMs > 0) server.faults.add({ type: 'delay', ms: setup.tokenDelayMs }, { times: Infinity })
  return { tokenUrl: server.tokenUrl, issuer: server.issuer, port: server.port, close: () => server.close() }
}

export const referenceOpaque = {
  kind: 'reference-opaque',
  label: 'reference server, opaque',
  start: (setup) => reference('opaque', setup),
} as const satisfies Server

export const referenceJwt = {
  kind: 'reference-jwt',
  label: 'reference server, JWT (ES256)',
  start: (setup) => reference('jwt', setup),
} as const satisfies Server
