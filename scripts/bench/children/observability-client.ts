// A process of section 7: one subject (no SDK, the OTel metrics SDK, a cache-channel subscriber)
// calling a cached getToken in turns with the others, against the token server process the parent
// started and relays `tokenRequests` to.
import { runTask, taskOf } from '../lib/ipc.js'
import { measureObservability, type ObservabilityTask } from '../sections/observability.js'

const task = taskOf<ObservabilityTask>()

runTask((channel) => measureObservability(task, channel))
