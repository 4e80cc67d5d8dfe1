// A client process (started by sections 1 to 3): one client, one scenario, against a server process
// the parent started and relays `tokenRequests` to (sections/client-process.ts).
import type { Settings } from '../config.js'
import { runTask, taskOf } from '../lib/ipc.js'
import { measureCached } from '../sections/cached.js'
import { measureFresh } from '../sections/fresh.js'
import { measureStampede } from '../sections/stampede.js'
import type { ClientId } from '../subjects/clients.js'
import type { ServerInfo } from '../subjects/servers.js'

export type ClientScenario = 'cached' | 'fresh' | 'stampede'

export interface ClientTask {
  readonly client: ClientId
  readonly scenario: ClientScenario
  readonly server: ServerInfo
  readonly settings: Settings
}

const task = taskOf<ClientTask>()

runTask(async (channel) => {
  switch (task.scenario) {
    case 'cached':
      return measureCached(task, channel)
    case 'fresh':
      return measureFresh(task, channel)
    case 'stampede':
      return measureStampede(task, channel)
  }
})
