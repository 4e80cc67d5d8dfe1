// A memory process (started by section 4 with --expose-gc): one client filled with distinct scopes,
// against a server process the parent started and relays `tokenRequests` to.
import { runTask, taskOf } from '../lib/ipc.js'
import { measureMemory } from '../sections/memory.js'
import type { ClientId } from '../subjects/clients.js'
import type { ServerInfo } from '../subjects/servers.js'

export interface MemoryTask {
  readonly client: ClientId
  readonly server: ServerInfo
  readonly rounds: number
  /** Filling stops after this long, and the round reports how many scopes it got to. */
  readonly fillBudgetMs: number
}

const task = taskOf<MemoryTask>()

runTask((channel) => measureMemory(task, channel))
