// A process of section 3b: one subject (TokenClient with private_key_jwt, or its floor), taking
// turns against the server process the parent started and relays `tokenRequests` to.
import { runTask, taskOf } from '../lib/ipc.js'
import { measureJwt, type JwtClientTask } from '../sections/jwt.js'

const task = taskOf<JwtClientTask>()

runTask((channel) => measureJwt(task, channel))
