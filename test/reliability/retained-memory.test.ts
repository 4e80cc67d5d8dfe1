// Memory a long-lived TokenClient keeps per token request (found by the soak: the heap after GC
// crept up by about 2 MiB per 20,000 token requests). Driven through undici's MockAgent so that
// tens of thousands of requests take a couple of seconds and no socket is involved.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { MockAgent } from 'undici'
import { TokenClient } from '../../src/index.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    gc()
  }
  return process.memoryUsage().heapUsed
}

/** How many signals AbortSignal.any() keeps linked to `signal` (node's kDependantSignals), or undefined. */
function dependants(signal: AbortSignal): number | undefined {
  const symbol = Object.getOwnPropertySymbols(signal).find((each) => each.toString() === 'Symbol(kDependantSignals)')
  return symbol === undefined ? undefined : ((signal as unknown as Record<symbol, Set<unknown>>)[symbol]?.size ?? 0)
}

test(
  'a long-lived client keeps no memory per token request',
  async () => {
    const agent = new MockAgent()
    agent.disableNetConnect()
    agent
      .get('https://id.example')
      .intercept({ path: '/token', method: 'POST' })
      .reply(200, { access_token: 'opaque-token', token_type: 'Bearer', expires_in: 3600 }, { headers: { 'content-type': 'application/json' } })
      .persist()
    const original = AbortSignal.any.bind(AbortSignal)
    const client = new TokenClient({ tokenUrl: 'https://id.example/token', clientId: 'svc', clientSecret: 'secret', dispatcher: agent })
    try {
      const burst = async (n: number): Promise<void> => {
        for (let i = 0; i < n; i++) await client.getToken('api:read', { forceRefresh: true })
      }
      await burst(2_000)
      const before = await heapAfterGc()
      await burst(10_000)
      const after = await heapAfterGc()
      const perRequest = (after - before) / 10_000
      // Then see which signals handed to AbortSignal.any() accumulate dependants (a short run, as the
      // watching itself holds every signal).
      const watched = new Set<AbortSignal>()
      AbortSignal.any = (signals: Iterable<AbortSignal>) => {
        const list = [...signals]
        for (const signal of list) watched.add(signal)
        return original(list)
      }
      await burst(1_000)
      AbortSignal.any = original
      const mostDependants = Math.max(0, ...[...watched].map((signal) => dependants(signal) ?? 0))
      watched.clear()
      assert.ok(
        perRequest < 60 && mostDependants < 100,
        `${perRequest.toFixed(0)} bytes kept per token request; one signal holds ${mostDependants} dependants after 13,000 requests`,
      )
    } finally {
      AbortSignal.any = original
      await client.close()
      await agent.close()
    }
  },
)
