// A process of section 3c: one part (a client's lifetime, a fresh-acquisition subject taking turns,
// or the first calls of new clients) against the server process the parent started and relays
// `tokenRequests` and `metadataRequests` to.
import { runTask, taskOf } from '../lib/ipc.js'
import { measureDiscovery, type DiscoveryClientTask } from '../sections/discovery.js'

const task = taskOf<DiscoveryClientTask>()

runTask((channel) => measureDiscovery(task, channel))
