// The token servers the benchmark compares, in the order of the servers table and chart: this
// package's reference server (opaque and JWT), the servers people test against, then the floor
// (subjects/servers/, one file each).
import { bareHttp } from './servers/bare-http.js'
import { oauth2MockServer } from './servers/oauth2-mock-server.js'
import { oidcProvider } from './servers/oidc-provider.js'
import { referenceJwt, referenceOpaque } from './servers/reference.js'
import type { RunningServer, Server, ServerSetup } from './servers/server.js'

export type { RunningServer, ServerInfo, ServerSetup } from './servers/server.js'

export const SERVERS = [referenceOpaque, referenceJwt, oidcProvider, oauth2MockServer, bareHttp] as const

export type ServerKind = (typeof SERVERS)[number]['kind']

export function serverOf(kind: ServerKind): Server {
  const server = SERVERS.find((candidate) => candidate.kind === kind)
  if (server === undefined) throw new Error(`unknown server ${kind}`)
  return server
}

export function startServer(kind: ServerKind, setup: ServerSetup = {}): Promise<RunningServer> {
  return serverOf(kind).start(setup)
}
