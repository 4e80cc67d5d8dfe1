// The client processes of sections 1 to 4 (children/client.ts, children/memory.ts), from both sides:
// the parent starts one against a server process and relays its `tokenRequests` there, so that what
// the server saw is counted by the server, not trusted from the client; inside, a section checks the
// client first.
import type { ClientScenario, ClientTask } from '../children/client.js'
import { SCOPE, type Settings } from '../config.js'
import type { Child, Outcome } from '../lib/child.js'
import type { Channel } from '../lib/ipc.js'
import { spawnTracked, withServer, type ServerProcess } from '../lib/processes.js'
import { createAdapter, type ClientAdapter, type ClientId } from '../subjects/clients.js'
import { eachClientInTurn, type SectionContext } from './section.js'

/** The server of the client sections: the reference server, opaque tokens, counting token requests. */
export const COUNTING_REFERENCE = { kind: 'reference-opaque', count: true } as const

/** In the parent: a client process measuring `scenario` against `server`. */
export function startClientProcess<T>(client: ClientId, scenario: ClientScenario, server: ServerProcess, settings: Settings, timeoutMs: number): Child<T> {
  return spawnTracked<T>('client.ts', { client, scenario, server: server.info, settings } satisfies ClientTask, {
    timeoutMs,
    handlers: { tokenRequests: () => server.tokenRequests() },
  })
}

/** In the parent: each client in turn, in a client process against a counting reference server of its own. */
export function eachClientAlone<T>(
  context: SectionContext,
  scenario: ClientScenario,
  timeoutMs: number,
  summary: (value: T) => string,
): Promise<Partial<Record<ClientId, Outcome<T>>>> {
  return eachClientInTurn(
    context,
    context.clients,
    (client) => withServer<T>(COUNTING_REFERENCE, (server) => startClientProcess<T>(client, scenario, server, context.settings, timeoutMs)),
    summary,
  )
}

/** In the client process: token requests the server has seen so far. */
export const serverRequests = (channel: Channel): Promise<number> => channel.request<number>('tokenRequests')

/** In the client process: the task's client, checked to return an access token. */
export async function checkedAdapter(task: ClientTask): Promise<ClientAdapter> {
  const adapter = await createAdapter(task.client, task.server)
  const token = adapter.tokenOf(await adapter.get(SCOPE))
  if (typeof token !== 'string' || token.length < 20) throw new Error('the client did not return an access token')
  return adapter
}
