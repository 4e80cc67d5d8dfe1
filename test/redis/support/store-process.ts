// A Redis store in a process of its own, for the tests that two processes (two drivers) share
// entries: `node --import tsx store-process.ts <driver package> <host> <port>` reads a JSON list of
// calls, `[method, ...arguments]`, on stdin (values may hold NUL, which argv cannot), makes each in
// turn on `redisStore()` of a new connection and prints `{ description, results }` as JSON
// (`undefined` as null).
import type { SharedTokenStore } from '../../../src/shared-cache/shared-token-store.js'
import { redisStore } from '../../../src/redis/index.js'
import { driver, type Driver } from './redis-drivers.js'

const [packageName, host, port] = process.argv.slice(2)
let input = ''
for await (const chunk of process.stdin) input += String(chunk)
const calls = JSON.parse(input) as [keyof Omit<SharedTokenStore, 'description'>, ...unknown[]][]
const connection = await driver(packageName as Driver['packageName']).standalone({ host: host ?? '', port: Number(port) })
try {
  const store = redisStore(connection.redis)
  const results: unknown[] = []
  for (const [method, ...args] of calls) {
    const result = await (store[method] as (...args: unknown[]) => Promise<unknown>)(...args)
    // A read answers { value, ttlMs }: the value is what crosses drivers byte for byte.
    results.push((method === 'get' && typeof result === 'object' && result !== null ? (result as { value?: unknown }).value : result) ?? null)
  }
  process.stdout.write(JSON.stringify({ description: store.description, results }))
} finally {
  connection.close()
}
