// A load generator process (started by section 5) while the server under test runs in another; the
// parent relays `serverUsage` to the server process.
import type { Settings } from '../config.js'
import { runTask, taskOf } from '../lib/ipc.js'
import { generateLoad } from '../sections/servers.js'

export interface LoadTask {
  readonly tokenUrl: string
  readonly settings: Settings
}

const task = taskOf<LoadTask>()

runTask((channel) => generateLoad(task, channel))
