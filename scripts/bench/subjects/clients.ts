// The clients the benchmark compares, in the order of every table and chart: the floor, this
// package's TokenClient, then the client libraries people use today (subjects/clients/, one file each).
import { CLIENT_ID } from '../config.js'
import { badgateway } from './clients/badgateway.js'
import type { AdapterOptions, Client, ClientAdapter } from './clients/client.js'
import { floor } from './clients/floor.js'
import { msalNode } from './clients/msal-node.js'
import { oauth4webapi } from './clients/oauth4webapi.js'
import { openidClient } from './clients/openid-client.js'
import { simpleOauth2 } from './clients/simple-oauth2.js'
import { tokenClient } from './clients/token-client.js'
import type { ServerInfo } from './servers/server.js'

export type { ClientAdapter } from './clients/client.js'

export const CLIENTS = [floor, tokenClient, msalNode, badgateway, openidClient, oauth4webapi, simpleOauth2] as const

export type ClientId = (typeof CLIENTS)[number]['id']

export function clientOf(id: ClientId): Client {
  const info = CLIENTS.find((client) => client.id === id)
  if (info === undefined) throw new Error(`unknown client ${id}`)
  return info
}

export async function createAdapter(id: ClientId, server: ServerInfo, options: Partial<AdapterOptions> = {}): Promise<ClientAdapter> {
  return clientOf(id).create(server, { clientId: options.clientId ?? CLIENT_ID, maxEntries: options.maxEntries })
}
