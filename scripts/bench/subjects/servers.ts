// The token servers the benchmark compares, in the order of the servers table and chart: this
// package's reference server (opaque and JWT), the servers people test against, then the floor
// (subjects/servers/, one file each). Beside them, servers that issue no tokens (the resource of
// section 3d), started in processes of their own the same way.
import { bareHttp } from './servers/bare-http.js'
import { oauth2MockServer } from './servers/oauth2-mock-server.js'
import { oidcProvider } from './servers/oidc-provider.js'
import { plainResource } from './servers/plain-resource.js'
import { referenceJwt, referenceOpaque } from './servers/reference.js'
import type { RunningServer, Server, ServerSetup } from './servers/server.js'

export type { RunningServer, ServerInfo, ServerSetup } from './servers/server.js'

export const SERVERS = [referenceOpaque, referenceJwt, oidcProvider, oauth2MockServer, bareHttp] as const

export type ServerKind = (typeof SERVERS)[number]['kind']

/** Servers the benchmark runs that are not token servers, and so not compared in section 5. */
export const OTHER_SERVERS = [plainResource] as const

/** Whatever children/server.ts can run: a token server, or one of {@link OTHER_SERVERS}. */
export type ProcessServerKind = ServerKind | (typeof OTHER_SERVERS)[number]['kind']

export function serverOf(kind: ProcessServerKind): Server {
  const server = [...SERVERS, ...OTHER_SERVERS].find((candidate) => candidate.kind === kind)
  if (server === undefined) throw new Error(`unknown server ${kind}`)
  return server
}

export function startServer(kind: ProcessServerKind, setup: ServerSetup = {}): Promise<RunningServer> {
  return serverOf(kind).start(setup)
}
