// `npm run demo:fleet`: several processes sharing one token through Redis. Starts a redis-server
// (if one is on PATH) on a free loopback port, the reference server, and four worker processes
// (node-redis and ioredis, versions 6 and 5), has them all ask at once, tells where each process's
// token came from, asks again (served from each process's own cache), lets a fifth process start
// and read the shared token, then stops everything. Tokens are never printed: only a fingerprint
// (the first 8 hex digits of their SHA-256).
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { startReferenceServer, type ReferenceServer } from '../../src/server/index.js'
import { startFleet, type FleetAnswer, type FleetDriver, type FleetWorker, type FleetWorkerConfig, type StoreCounts } from './fleet.js'
import { REDIS_INSTALL_HINT, redisServerInstalled, startRedisProcess, type RedisProcess } from './redis-process.js'

const CLIENT_ID = 'orders-service'
const CLIENT_SECRET = 'demo-secret: never in Redis, never printed'
const SCOPE = 'orders:read'
const DRIVERS: readonly FleetDriver[] = ['redis', 'ioredis', 'redis-v5', 'ioredis-v5']
const CALLS = 10
/** The first token request waits this long at the server, as a distant identity server would: the others wait for it. */
const SLOW_MS = 300
/** Everything is stopped, and the demo fails, if it has not finished by then. */
const DEADLINE_MS = 20_000

const say = (line = ''): void => void process.stdout.write(`${line}\n`)

if (!redisServerInstalled()) {
  say('The fleet demo needs a redis-server on PATH to share tokens through, and there is none.')
  say(`To install it: ${REDIS_INSTALL_HINT}; then run npm run demo:fleet again.`)
  say('Nothing was started.')
  process.exit(0)
}

const require = createRequire(import.meta.url)
const versionOf = (driver: FleetDriver): string => (require(`${driver}/package.json`) as { version: string }).version
const driverName = (driver: FleetDriver): string => `${driver.startsWith('ioredis') ? 'ioredis' : 'node-redis'} ${versionOf(driver)}`
const fingerprint = (token: string): string => createHash('sha256').update(token).digest('hex').slice(0, 8)
const elapsed = (ms: number): string => (ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`).padStart(9)

let redis: RedisProcess | undefined
let server: ReferenceServer | undefined
const workers: FleetWorker[] = []
let calls = 0

function killEverything(): void {
  for (const worker of workers) worker.kill()
  void redis?.stop()
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killEverything()
    process.exit(130)
  })
}
const deadline = setTimeout(() => {
  say(`\nThe demo did not finish within ${DEADLINE_MS / 1000} s: stopping everything.`)
  killEverything()
  process.exit(1)
}, DEADLINE_MS)
deadline.unref()

/** Where a process's token came from, from the store operations its shared cache made during the round. */
function source(counts: StoreCounts, answer: FleetAnswer, holder: number | undefined): string {
  if (answer.errors.length > 0) return `FAILED: ${answer.errors[0]}`
  if (counts.get === 0) return 'from its own cache: no Redis, no token server'
  if (counts.set > 0) return 'from the token server: it took the lease, asked, and wrote the token to Redis'
  const polls = counts.takeLease - counts.leasesWon
  if (polls > 0) return `from Redis, after waiting for process ${holder ?? '?'} (lease held; ${polls} ${polls === 1 ? 'poll' : 'polls'})`
  return 'from Redis at its first look'
}

async function round(title: string, members: readonly FleetWorker[], firstNumber = 1): Promise<void> {
  say(title)
  const before = server?.log.tokenRequests().length ?? 0
  await Promise.all(members.map((worker) => worker.stats()))
  const answers = await Promise.all(members.map((worker) => worker.get(SCOPE, CALLS)))
  calls += members.length * CALLS
  await new Promise((resolve) => setTimeout(resolve, 100)) // the lease holder writes, then gives the lease back
  const counts = await Promise.all(members.map((worker) => worker.stats()))
  const holderIndex = counts.findIndex((count) => count.set > 0)
  const holder = holderIndex === -1 ? undefined : firstNumber + holderIndex
  members.forEach((worker, index) => {
    const answer = answers[index] as FleetAnswer
    const tokens = [...new Set(answer.tokens)]
    const name = `process ${firstNumber + index} (${driverName(worker.config.driver)})`.padEnd(30)
    const shown = tokens.length === 1 ? `token ${fingerprint(tokens[0] as string)}` : `${tokens.length} tokens!`
    say(`  ${name} ${shown}  ${elapsed(answer.ms)}  ${source(counts[index] as StoreCounts, answer, holder)}`)
  })
  const requests = (server?.log.tokenRequests().length ?? 0) - before
  const distinct = new Set(answers.flatMap((answer) => answer.tokens)).size
  say(`  ${members.length * CALLS} getToken calls in ${members.length} ${members.length === 1 ? 'process' : 'processes'}: ${distinct} distinct ${distinct === 1 ? 'token' : 'tokens'}, ${requests} token ${requests === 1 ? 'request' : 'requests'} at the server this round`)
  say()
}

try {
  const started = performance.now()
  redis = await startRedisProcess()
  server = await startReferenceServer({ clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scopes: [SCOPE] }] })
  say('One token for the whole fleet: four processes share a token through Redis')
  say()
  say(`  redis-server ${redis.version} on ${redis.url} (started for this demo; nothing persisted)`)
  say(`  reference token server on ${server.tokenUrl}`)
  const config = (index: number): FleetWorkerConfig => ({
    tokenUrl: server!.tokenUrl,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    driver: DRIVERS[index % DRIVERS.length] as FleetDriver,
    redis: { nodes: [{ host: redis!.host, port: redis!.port }] },
    observe: true,
  })
  workers.push(...(await startFleet(4, config)))
  say(`  ${workers.length} worker processes, each its own TokenClient with sharedCache: redisTokenCache(redis): ${workers.map((worker) => driverName(worker.config.driver)).join(', ')}`)
  say()

  server.faults.add({ type: 'delay', ms: SLOW_MS }, { times: 1 })
  await round(`1. All four ask at once, ${CALLS} concurrent getToken('${SCOPE}') calls each, every cache empty (the token server takes ${SLOW_MS} ms):`, workers)
  await round('2. They ask again:', workers)

  const [late] = await startFleet(1, () => config(1))
  if (late === undefined) throw new Error('the fifth process did not start')
  workers.push(late)
  await round('3. A fifth process starts and asks:', [late], 5)

  const name = await redis.command(['RANDOMKEY'])
  const sealed = await redis.command(['GET', name])
  const ttlMs = Number(await redis.command(['PTTL', name]))
  say('What Redis holds:')
  say(`  one key, ${name}: an HMAC of the cache key (no client id, scope or token in the name)`)
  say(`  its value: ${sealed.slice(0, 12)}... (${sealed.length} characters, sealed with AES-256-GCM under a key derived from the client secret)`)
  say(`  kept for ${Math.round(ttlMs / 60_000)} more minutes: until the token's usable end`)
  say()
  say(`Token requests the server saw in all: ${server.log.tokenRequests().length}, for ${workers.length} processes and ${calls} getToken calls.`)

  await Promise.all(workers.map((worker) => worker.close()))
  workers.length = 0
  await server.close()
  server = undefined
  await redis.stop()
  redis = undefined
  say(`Stopped the processes, the token server and redis-server (${((performance.now() - started) / 1000).toFixed(1)} s in all).`)
} catch (error) {
  say(`\nThe demo failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
} finally {
  for (const worker of workers) worker.kill()
  await server?.close().catch(() => {})
  await redis?.stop()
  clearTimeout(deadline)
}
