// Section 5, token servers under load: every server in a process of its own, all started at once,
// each with a load generator in another (autocannon, through its API). The load generators take
// turns (lib/turns.ts), so only one server is under load at a time: each checks its server answers
// the token request with a token and warms it up, then, once per rotation, re-warms it and runs a
// timed round, reading the server process's CPU time before and after.
import type { LoadTask } from '../children/load.js'
import type { ServerUsage } from '../children/server.js'
import { BASIC_AUTHORIZATION, SCOPE, TOKEN_REQUEST_BODY, type Settings } from '../config.js'
import { messageOf } from '../lib/child.js'
import type { Channel } from '../lib/ipc.js'
import { spawnTracked, startServerProcess, type ServerProcess } from '../lib/processes.js'
import { median } from '../lib/stats.js'
import { conductTurns, takeTurns } from '../lib/turns.js'
import type { LoadRound, Results } from '../results.js'
import { rawTokenRequest } from '../subjects/clients/floor.js'
import type { ServerKind } from '../subjects/servers.js'
import { failedAll, progressOfAll, type Section } from './section.js'

/** The servers in the order they start and first take turns: the floor first. */
const RUN_ORDER: readonly ServerKind[] = ['bare-http', 'reference-opaque', 'reference-jwt', 'oidc-provider', 'oauth2-mock-server']
/** Width of the server column of the progress lines. */
const SERVER_COLUMN = 20

export const servers: Section<'servers'> = {
  id: 'servers',
  heading: (settings) => `5. Servers under autocannon (${settings.loadConnections} connections, ${settings.loadRounds} x ${settings.loadSeconds} s, interleaved)`,
  async measure(context) {
    const since = performance.now()
    const outcomes = await interleaved(context.settings, RUN_ORDER)
    progressOfAll(
      context,
      RUN_ORDER,
      SERVER_COLUMN,
      outcomes,
      since,
      (rounds) => `${Math.round(median(rounds.map((round) => round.tokensPerSecond)))} tokens/s, p99 ${median(rounds.map((round) => round.p99Ms))} ms`,
    )
    return outcomes
  },
}

async function interleaved(settings: Settings, kinds: readonly ServerKind[]): Promise<Results['servers']> {
  const processes = new Map<ServerKind, ServerProcess>()
  const outcomes: Results['servers'] = {}
  try {
    for (const kind of kinds) {
      try {
        processes.set(kind, await startServerProcess({ kind }))
      } catch (error) {
        outcomes[kind] = { ok: false, error: messageOf(error) }
      }
    }
    const timeoutMs = 120_000 + (settings.loadWarmupSeconds + settings.loadRounds * (settings.loadSeconds + settings.loadRewarmSeconds + 2) * kinds.length) * 1000
    Object.assign(
      outcomes,
      await conductTurns(
        [...processes.keys()],
        (kind) => {
          const server = processes.get(kind) as ServerProcess
          return spawnTracked<LoadRound[]>('load.ts', { tokenUrl: server.info.tokenUrl, settings } satisfies LoadTask, {
            timeoutMs,
            handlers: { serverUsage: () => server.usage() },
          })
        },
        { recorded: settings.loadRounds, unrecorded: 0 },
      ),
    )
    return outcomes
  } catch (error) {
    return { ...failedAll(kinds, error), ...outcomes }
  } finally {
    await Promise.all([...processes.values()].map((server) => server.stop()))
  }
}

interface AutocannonResult {
  readonly '2xx': number
  readonly non2xx: number
  readonly errors: number
  readonly timeouts: number
  readonly duration: number
  readonly latency: { readonly p50: number; readonly p99: number }
}

type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>

async function loadAutocannon(): Promise<Autocannon> {
  // @ts-expect-error -- autocannon ships no type declarations (and @types/autocannon is not installed); narrowed here.
  const module = (await import('autocannon')) as { default: Autocannon }
  return module.default
}

const HEADERS = {
  authorization: BASIC_AUTHORIZATION,
  'content-type': 'application/x-www-form-urlencoded',
  accept: 'application/json',
}

/** In the load generator's process: its turns, the same token request over keep-alive connections. */
export async function generateLoad(task: LoadTask, channel: Channel): Promise<LoadRound[]> {
  const autocannon = await loadAutocannon()
  const load = (seconds: number): Promise<AutocannonResult> =>
    autocannon({
      url: task.tokenUrl,
      method: 'POST',
      headers: HEADERS,
      body: TOKEN_REQUEST_BODY,
      connections: task.settings.loadConnections,
      pipelining: 1,
      duration: seconds,
    })
  const rounds: LoadRound[] = []
  return takeTurns(channel, {
    async prepare() {
      await rawTokenRequest(task.tokenUrl, BASIC_AUTHORIZATION, SCOPE)
      await load(task.settings.loadWarmupSeconds)
    },
    async round(record) {
      // The other servers were under load meanwhile: new connections, and this server back to warm.
      await load(task.settings.loadRewarmSeconds)
      const before = await channel.request<ServerUsage>('serverUsage')
      const started = performance.now()
      const result = await load(task.settings.loadSeconds)
      const wallMs = performance.now() - started
      const after = await channel.request<ServerUsage>('serverUsage')
      if (!record) return
      rounds.push({
        tokensPerSecond: result['2xx'] / (wallMs / 1000),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        serverCpu: (after.cpuMicros - before.cpuMicros) / 1000 / wallMs,
        serverCpuMicrosPerToken: (after.cpuMicros - before.cpuMicros) / Math.max(1, result['2xx']),
        serverHeapBytes: after.heapUsed,
      })
    },
    async finish() {
      return rounds
    },
  })
}
