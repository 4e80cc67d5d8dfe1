// Section 3c, discovery: TokenClient given `issuer` instead of `tokenUrl` fetches the server's
// metadata (RFC 8414 `/.well-known/oauth-authorization-server`, then OpenID Discovery's
// `/.well-known/openid-configuration`) on its first getToken(), once, and keeps it for its life:
// one request per client lifetime, not per token. Three parts, each against a reference server
// process of its own that counts the token and metadata requests it sees (children/server.ts), each
// subject in a process of its own (children/discovery-client.ts):
//   1. lifetime: one client with `issuer`, from construction to close(): N forced tokens, cached
//      calls, a call past the refresh point of a short-lived token and one after its usable life ran
//      out, then other scopes; the server's counts phase by phase (metadata: 1 in all).
//   2. fresh: a new token per call with `issuer` beside `tokenUrl`, taking turns round by round as
//      in section 3b (lib/turns.ts), in `freshProcesses` batches, with section 3's settings.
//   3. first: the first getToken() of new clients of both kinds, alternating ABBA in one process:
//      what the one discovery costs.
import { CLIENT_ID, CLIENT_SECRET, DISCOVERY_CACHED_CALLS, DISCOVERY_SCOPES, DISCOVERY_TOKEN_LIFETIME, SCOPE, type Settings } from '../config.js'
import type { MetadataRequests } from '../children/server.js'
import type { Outcome } from '../lib/child.js'
import type { Channel } from '../lib/ipc.js'
import { spawnTracked, startServerProcess, withServer, type ServerProcess } from '../lib/processes.js'
import { formatCount, formatNs, median } from '../lib/stats.js'
import { conductTurns } from '../lib/turns.js'
import type { CallResult, DiscoveryFirstResult, DiscoveryLifetimeResult, DiscoveryPhase, DiscoveryResults } from '../results.js'
import type { ClientAdapter } from '../subjects/clients.js'
import { accessTokenProperty } from '../subjects/clients/client.js'
import type { ServerInfo } from '../subjects/servers.js'
import { measureFreshWith, mergeProcesses } from './fresh.js'
import { failedAll, progressLine, progressOfAll, type Section, type SectionContext } from './section.js'

export const DISCOVERY_SUBJECTS = [
  {
    id: 'discovery-token-url',
    label: 'TokenClient, tokenUrl',
    how: '`new TokenClient({ tokenUrl, clientId, clientSecret })`, `getToken(scope, { forceRefresh: true })`.',
  },
  {
    id: 'discovery-issuer',
    label: 'TokenClient, issuer (discovered)',
    how: '`new TokenClient({ issuer, clientId, clientSecret })` (token endpoint and auth method from the metadata, fetched on the first call), `getToken(scope, { forceRefresh: true })`.',
  },
] as const

export type DiscoverySubjectId = (typeof DISCOVERY_SUBJECTS)[number]['id']
const DISCOVERY_SUBJECT_IDS: readonly DiscoverySubjectId[] = DISCOVERY_SUBJECTS.map((subject) => subject.id)
const SUBJECT_COLUMN = 20

/** Outcomes of 3c's part 2: one subject's, by id. */
export type DiscoveryFreshOutcomes = Partial<Record<DiscoverySubjectId, Outcome<CallResult>>>

/** The phases of part 1, in the order they run. */
export const DISCOVERY_PHASES = ['forced', 'cached', 'refresh-ahead', 'expired', 'scopes'] as const
export type DiscoveryPhaseId = (typeof DISCOVERY_PHASES)[number]

/** The server of parts 2 and 3: the reference server, opaque tokens, counting. */
const COUNTING = { kind: 'reference-opaque', count: true } as const
/** The server of part 1: tokens of a few seconds, and more scopes for the client. */
const LIFETIME_SERVER = { kind: 'reference-opaque', count: true, tokenLifetime: DISCOVERY_TOKEN_LIFETIME, extraScopes: DISCOVERY_SCOPES } as const

/** What a process of section 3c is given (children/discovery-client.ts). */
export type DiscoveryClientTask =
  | { readonly part: 'lifetime' | 'first'; readonly server: ServerInfo; readonly settings: Settings }
  | { readonly part: 'fresh'; readonly subject: DiscoverySubjectId; readonly server: ServerInfo; readonly settings: Settings }

export const discovery: Section<'discovery'> = {
  id: 'discovery',
  heading: (settings) =>
    `3c. Discovery with issuer: one client's lifetime (${formatCount(settings.discoveryTokens)} forced tokens), ` +
    `fresh acquisition beside tokenUrl (${settings.freshProcesses} batches of processes x ${settings.freshRounds} rounds, interleaved), ` +
    `first call of ${formatCount(settings.discoveryFirstClients)} new clients of each`,
  async measure(context) {
    let since = performance.now()
    const lifetime = await withServer<DiscoveryLifetimeResult>(LIFETIME_SERVER, (server) => startDiscoveryChild({ part: 'lifetime', server: server.info, settings: context.settings }, server))
    context.progress(progressLine('lifetime', SUBJECT_COLUMN, lifetime, since, lifetimeSummary))

    since = performance.now()
    const { fresh, freshMetadata } = await interleaved(context)
    progressOfAll(context, DISCOVERY_SUBJECT_IDS, SUBJECT_COLUMN, fresh, since, (value) => `${formatNs(median(value.nsPerCall))} per call`)
    if (freshMetadata !== undefined) {
      const { requests, issuerClients } = freshMetadata
      context.progress(`   ${'fresh, metadata'.padEnd(SUBJECT_COLUMN)} ${plural(requests, 'metadata request')} for ${plural(issuerClients, 'client')} with issuer`)
    }

    since = performance.now()
    const first = await withServer<DiscoveryFirstResult>(COUNTING, (server) => startDiscoveryChild({ part: 'first', server: server.info, settings: context.settings }, server))
    context.progress(progressLine('first call', SUBJECT_COLUMN, first, since, firstSummary))

    return { lifetime, fresh, ...(freshMetadata === undefined ? {} : { freshMetadata }), first }
  },
}

const plural = (count: number, noun: string): string => `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`

function lifetimeSummary(value: DiscoveryLifetimeResult): string {
  const tokens = value.phases.reduce((sum, phase) => sum + phase.tokenRequests, 0)
  const metadata = value.phases.reduce((sum, phase) => sum + phase.metadataRequests, 0)
  return `${plural(metadata, 'metadata request')} for ${plural(tokens, 'token')}`
}

function firstSummary(value: DiscoveryFirstResult): string {
  const issuer = median(value.issuerNs)
  const tokenUrl = median(value.tokenUrlNs)
  return `issuer ${formatNs(issuer)}, tokenUrl ${formatNs(tokenUrl)} (${signedMs(issuer - tokenUrl)})`
}

/** `+0.42 ms`: a difference of durations given in nanoseconds, in milliseconds. */
export function signedMs(ns: number): string {
  if (!Number.isFinite(ns)) return 'n/a'
  return `${ns < 0 ? '-' : '+'}${Math.abs(ns / 1e6).toFixed(2)} ms`
}

/** In the parent: a process of section 3c against `server`, which answers its counts. */
function startDiscoveryChild<T>(task: DiscoveryClientTask, server: ServerProcess) {
  return spawnTracked<T>('discovery-client.ts', task, {
    timeoutMs: 600_000,
    handlers: { tokenRequests: () => server.tokenRequests(), metadataRequests: () => server.metadataRequests() },
  })
}

/** Part 2: both subjects taking turns against one server, batch after batch, as section 3b. */
async function interleaved({ settings }: SectionContext): Promise<{ fresh: DiscoveryFreshOutcomes; freshMetadata?: NonNullable<DiscoveryResults['freshMetadata']> }> {
  let server: ServerProcess | undefined
  try {
    server = await startServerProcess(COUNTING)
    const shared = server
    const batches: DiscoveryFreshOutcomes[] = []
    for (let batch = 0; batch < settings.freshProcesses; batch++) {
      batches.push(
        await conductTurns(
          DISCOVERY_SUBJECT_IDS,
          (subject) => startDiscoveryChild<CallResult>({ part: 'fresh', subject, server: shared.info, settings }, shared),
          { recorded: settings.freshRounds, unrecorded: settings.freshUnrecordedRotations },
        ),
      )
    }
    const metadata = await shared.metadataRequests()
    return {
      fresh: Object.fromEntries(DISCOVERY_SUBJECT_IDS.map((subject) => [subject, mergeProcesses(batches.map((batch) => batch[subject]))])),
      freshMetadata: { requests: metadata.rfc8414 + metadata.openid, issuerClients: settings.freshProcesses },
    }
  } catch (error) {
    return { fresh: failedAll<DiscoverySubjectId, CallResult>(DISCOVERY_SUBJECT_IDS, error) }
  } finally {
    await server?.stop()
  }
}

// In the child process (children/discovery-client.ts) from here on.

type TokenClientClass = (typeof import('oauth2-client-credentials'))['TokenClient']
type TokenClientInstance = InstanceType<TokenClientClass>

/** TokenClient from dist/, loaded once, in the child only (the parent imports this file too). */
let tokenClientClass: Promise<TokenClientClass> | undefined
const loadTokenClient = (): Promise<TokenClientClass> => (tokenClientClass ??= import('oauth2-client-credentials').then((module) => module.TokenClient))

/** A new TokenClient of `subject`: the same client either way, with the token endpoint given or discovered. */
function newClient(TokenClient: TokenClientClass, subject: DiscoverySubjectId, server: ServerInfo): TokenClientInstance {
  return subject === 'discovery-issuer'
    ? new TokenClient({ issuer: server.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
    : new TokenClient({ tokenUrl: server.tokenUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET })
}

function checkedToken(result: unknown, what: string): string {
  const token = accessTokenProperty(result)
  if (typeof token !== 'string' || token.length < 20) throw new Error(`${what} returned no access token`)
  return token
}

interface Counts {
  readonly token: number
  readonly metadata: MetadataRequests
}

/** In the child: what the server has counted so far (relayed by the parent). */
async function serverCounts(channel: Channel): Promise<Counts> {
  const [token, metadata] = await Promise.all([channel.request<number>('tokenRequests'), channel.request<MetadataRequests>('metadataRequests')])
  return { token, metadata }
}

const metadataTotal = (counts: Counts): number => counts.metadata.rfc8414 + counts.metadata.openid
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)))

export function measureDiscovery(task: DiscoveryClientTask, channel: Channel): Promise<unknown> {
  switch (task.part) {
    case 'lifetime':
      return measureLifetime(task.server, task.settings, channel)
    case 'fresh':
      return measureFreshWith(() => freshAdapter(task.subject, task.server), task.settings, channel)
    case 'first':
      return measureFirst(task.server, task.settings, channel)
  }
}

/**
 * Part 1: one client with `issuer`, phase by phase, each phase's requests as the server counted
 * them. A token of `DISCOVERY_TOKEN_LIFETIME` s is usable for half of it (the client's expiry buffer
 * is at most half a lifetime) and refreshed ahead at 70-80% of that: the refresh phase calls at 87.5%,
 * after the last token; the expiry phase a quarter of a usable life after the refreshed token's.
 */
async function measureLifetime(server: ServerInfo, settings: Settings, channel: Channel): Promise<DiscoveryLifetimeResult> {
  const TokenClient = await loadTokenClient()
  const usableMs = (DISCOVERY_TOKEN_LIFETIME * 1000) / 2
  const phases: DiscoveryPhase[] = []
  const phase = async (id: DiscoveryPhase['phase'], calls: number, run: () => Promise<void>): Promise<void> => {
    const before = await serverCounts(channel)
    await run()
    const after = await serverCounts(channel)
    phases.push({ phase: id, calls, tokenRequests: after.token - before.token, metadataRequests: metadataTotal(after) - metadataTotal(before) })
  }

  const started = performance.now()
  const atStart = await serverCounts(channel)
  const client = newClient(TokenClient, 'discovery-issuer', server)
  let lastTokenAt = 0
  try {
    const tokens = Math.max(200, settings.discoveryTokens)
    await phase('forced', tokens, async () => {
      for (let index = 0; index < tokens; index++) checkedToken(await client.getToken(SCOPE, { forceRefresh: true }), 'a forced getToken')
      lastTokenAt = performance.now()
    })
    await phase('cached', DISCOVERY_CACHED_CALLS, async () => {
      for (let index = 0; index < DISCOVERY_CACHED_CALLS; index++) checkedToken(await client.getToken(SCOPE), 'a cached getToken')
    })
    let refreshedAt = 0
    await phase('refresh-ahead', 1, async () => {
      await sleep(lastTokenAt + usableMs * 0.875 - performance.now())
      const before = (await serverCounts(channel)).token
      checkedToken(await client.getToken(SCOPE), 'the getToken past the refresh point')
      // The refresh runs in the background: wait until the server has seen it, then for its answer.
      const deadline = performance.now() + 5_000
      while ((await serverCounts(channel)).token === before && performance.now() < deadline) await sleep(5)
      refreshedAt = performance.now()
      await sleep(50)
    })
    await phase('expired', 1, async () => {
      await sleep(refreshedAt + usableMs * 1.25 - performance.now())
      checkedToken(await client.getToken(SCOPE), 'the getToken after the token ran out')
    })
    await phase('scopes', DISCOVERY_SCOPES.length, async () => {
      for (const scope of DISCOVERY_SCOPES) checkedToken(await client.getToken(scope), `getToken('${scope}')`)
    })
  } finally {
    await client.close()
  }
  const atEnd = await serverCounts(channel)
  return {
    tokenLifetime: DISCOVERY_TOKEN_LIFETIME,
    phases,
    rfc8414Requests: atEnd.metadata.rfc8414 - atStart.metadata.rfc8414,
    openidRequests: atEnd.metadata.openid - atStart.metadata.openid,
    ms: performance.now() - started,
  }
}

/** Part 2: a subject's adapter, checked (for `issuer`, this first call is the discovery). */
async function freshAdapter(subject: DiscoverySubjectId, server: ServerInfo): Promise<ClientAdapter> {
  const client = newClient(await loadTokenClient(), subject, server)
  checkedToken(await client.getToken(SCOPE), subject)
  return {
    get: (scope) => client.getToken(scope),
    fresh: (scope) => client.getToken(scope, { forceRefresh: true }),
    tokenOf: accessTokenProperty,
    close: () => client.close(),
  }
}

/**
 * Part 3: pairs of new clients, one of each kind, in alternating order (ABBA); each is constructed
 * (not timed), its first getToken timed, then it is closed (not timed). The unrecorded pairs first
 * warm up the JIT and the server.
 */
async function measureFirst(server: ServerInfo, settings: Settings, channel: Channel): Promise<DiscoveryFirstResult> {
  const TokenClient = await loadTokenClient()
  const firstCall = async (subject: DiscoverySubjectId): Promise<number> => {
    const client = newClient(TokenClient, subject, server)
    try {
      const start = process.hrtime.bigint()
      const result = await client.getToken(SCOPE)
      const ns = Number(process.hrtime.bigint() - start)
      checkedToken(result, `the first getToken (${subject})`)
      return ns
    } finally {
      await client.close()
    }
  }
  const [issuer, tokenUrl] = ['discovery-issuer', 'discovery-token-url'] as const
  const pair = async (index: number): Promise<{ issuerNs: number; tokenUrlNs: number }> => {
    if (index % 2 === 0) {
      const issuerNs = await firstCall(issuer)
      return { issuerNs, tokenUrlNs: await firstCall(tokenUrl) }
    }
    const tokenUrlNs = await firstCall(tokenUrl)
    return { issuerNs: await firstCall(issuer), tokenUrlNs }
  }
  for (let index = 0; index < settings.discoveryFirstWarmup; index++) await pair(index)
  const before = await serverCounts(channel)
  const issuerNs: number[] = []
  const tokenUrlNs: number[] = []
  for (let index = 0; index < settings.discoveryFirstClients; index++) {
    const times = await pair(index)
    issuerNs.push(times.issuerNs)
    tokenUrlNs.push(times.tokenUrlNs)
  }
  const after = await serverCounts(channel)
  return {
    clients: settings.discoveryFirstClients,
    issuerNs,
    tokenUrlNs,
    metadataRequests: metadataTotal(after) - metadataTotal(before),
    tokenRequests: after.token - before.token,
  }
}
