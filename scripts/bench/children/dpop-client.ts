// A process of section 3d: one part (a subject of the requests to the resource, taking turns, or the
// cached getToken calls with and without DPoP) against the token server process the parent started
// and relays `tokenRequests` to.
import { runTask, taskOf } from '../lib/ipc.js'
import { measureDpop, type DpopClientTask } from '../sections/dpop.js'

const task = taskOf<DpopClientTask>()

runTask((channel) => measureDpop(task, channel))
