// Section 3d, DPoP (RFC 9449): what a DPoP-bound token costs once it is cached. Two parts, each
// subject in a process of its own (children/dpop-client.ts), the token from a reference server
// process that accepts DPoP proofs and counts the token requests it sees:
//   1. request: one request at a time to a resource, with a cached DPoP token and a new proof per
//      request. Two subjects, taking turns round by round as in section 3b (lib/turns.ts), in
//      `freshProcesses` batches, with section 3's settings: the floor, one jose `SignJWT` (ES256,
//      KeyObject; header typ, alg, jwk; claims htm, htu, iat, jti, ath) and one undici `fetch`, body
//      read; and `createAuthFetch(client, { scope, origins })` on a TokenClient with `dpop: true`
//      whose token is cached before the rounds. The resource is a node:http server in a process of
//      its own that answers 200 with a small fixed JSON body and verifies nothing
//      (subjects/servers/plain-resource.ts), so that it costs the same for both; each subject checks
//      what it sends (token, proof signature and claims) once, against its echo path, before the rounds.
//   2. hit: cached getToken on a client with `dpop: true` beside one without, in one process,
//      rounds as long as section 1's, alternating ABBA; in `freshProcesses` processes one after
//      another, every other one making the DPoP client first (two clients of the same options in
//      one process can run a few percent apart; alternating which is made first keeps that off one side).
import { createHash, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto'
import { EmbeddedJWK, jwtVerify, SignJWT, type JWK } from 'jose'
import { fetch, request } from 'undici'
import { BASIC_AUTHORIZATION, CLIENT_ID, CLIENT_SECRET, SCOPE, TOKEN_REQUEST_BODY, type Settings } from '../config.js'
import { messageOf, type Outcome } from '../lib/child.js'
import type { Channel } from '../lib/ipc.js'
import { spawnTracked, startServerProcess, type ServerProcess } from '../lib/processes.js'
import { formatNs, formatRatio, median } from '../lib/stats.js'
import { calibrateCount, roundCount, timeCalls, timeRound, warmUp } from '../lib/timing.js'
import { conductTurns } from '../lib/turns.js'
import type { CallResult, DpopHitResult } from '../results.js'
import type { ServerInfo } from '../subjects/servers.js'
import { DPOP_ECHO_PATH, DPOP_RESOURCE_PATH, type EchoedHeaders } from '../subjects/servers/plain-resource.js'
import { serverRequests } from './client-process.js'
import { mergeProcesses, timeFreshRounds } from './fresh.js'
import { failedAll, progressLine, progressOfAll, type Section, type SectionContext } from './section.js'

export const DPOP_SUBJECTS = [
  {
    id: 'dpop-floor',
    label: 'floor: undici fetch + one jose SignJWT (ES256)',
    how:
      'Per request: `ath` = base64url(SHA-256(token)), one jose `SignJWT` (ES256, a KeyObject made once; header `typ: dpop+jwt`, `alg`, `jwk`; ' +
      'claims `htm`, `htu`, `iat`, `jti` = randomUUID(), `ath`), then one undici `fetch` with `Authorization: DPoP <token>` and `DPoP: <proof>`, ' +
      '`response.json()`. Its DPoP token comes from one raw token request with a proof, before the rounds.',
  },
  {
    id: 'dpop-auth-fetch',
    label: 'createAuthFetch, TokenClient with dpop: true',
    how:
      "`createAuthFetch(client, { scope, origins: [resource origin] })` on `new TokenClient({ tokenUrl, clientId, clientSecret, dpop: true })` " +
      '(an ES256 key made in memory), its token cached before the rounds; `authFetch(url)`, `response.json()`.',
  },
] as const

export type DpopSubjectId = (typeof DPOP_SUBJECTS)[number]['id']
const DPOP_SUBJECT_IDS: readonly DpopSubjectId[] = DPOP_SUBJECTS.map((subject) => subject.id)
const SUBJECT_COLUMN = 16

/** Outcomes of 3d's part 1: one subject's, by id. */
export type DpopRequestOutcomes = Partial<Record<DpopSubjectId, Outcome<CallResult>>>

/** The token server: the reference server (it accepts a DPoP proof from any client), opaque tokens, counting. */
const COUNTING = { kind: 'reference-opaque', count: true } as const
/** The resource of part 1. */
const RESOURCE = { kind: 'plain-resource' } as const

/** What a process of section 3d is given (children/dpop-client.ts). */
export type DpopClientTask =
  | { readonly part: 'request'; readonly subject: DpopSubjectId; readonly server: ServerInfo; readonly resource: ServerInfo; readonly settings: Settings }
  | { readonly part: 'hit'; readonly server: ServerInfo; readonly settings: Settings; readonly dpopFirst: boolean }

export const dpop: Section<'dpop'> = {
  id: 'dpop',
  heading: (settings) =>
    `3d. DPoP: requests through createAuthFetch with a cached token beside their floor (${settings.freshProcesses} batches of processes x ${settings.freshRounds} rounds, interleaved), ` +
    `cached getToken with and without DPoP (${settings.freshProcesses} processes x ${settings.dpopHitRounds} alternating rounds)`,
  async measure(context) {
    let since = performance.now()
    const requestOutcomes = await interleaved(context)
    progressOfAll(context, DPOP_SUBJECT_IDS, SUBJECT_COLUMN, requestOutcomes, since, (value) => `${formatNs(median(value.nsPerCall))} per request`)

    since = performance.now()
    const hit = await hits(context)
    context.progress(progressLine('cached getToken', SUBJECT_COLUMN, hit, since, hitSummary))
    return { request: requestOutcomes, hit }
  },
}

function hitSummary(value: DpopHitResult): string {
  const ratio = median(value.dpopNs.map((ns, round) => ns / (value.bearerNs[round] ?? Number.NaN)))
  return `DPoP ${formatNs(median(value.dpopNs))}, Bearer ${formatNs(median(value.bearerNs))} per call (${formatRatio(ratio)} paired)`
}

/** In the parent: a process of section 3d against the token server `server`, which answers its counts. */
function startDpopChild<T>(task: DpopClientTask, server: ServerProcess) {
  return spawnTracked<T>('dpop-client.ts', task, { timeoutMs: 600_000, handlers: { tokenRequests: () => server.tokenRequests() } })
}

/** Part 2: `freshProcesses` processes one after another against one server, the order the clients are made in alternating; their rounds merged. */
async function hits({ settings }: SectionContext): Promise<Outcome<DpopHitResult>> {
  let server: ServerProcess | undefined
  try {
    server = await startServerProcess(COUNTING)
    const shared = server
    const results: DpopHitResult[] = []
    for (let index = 0; index < settings.freshProcesses; index++) {
      const outcome = await startDpopChild<DpopHitResult>({ part: 'hit', server: shared.info, settings, dpopFirst: index % 2 === 0 }, shared).outcome
      if (!outcome.ok) return outcome
      results.push(outcome.value)
    }
    const first = results[0]
    if (first === undefined) return { ok: false, error: 'no process ran' }
    return {
      ok: true,
      value: {
        dpopNs: results.flatMap((result) => result.dpopNs),
        bearerNs: results.flatMap((result) => result.bearerNs),
        dpopCpuNs: results.flatMap((result) => result.dpopCpuNs),
        bearerCpuNs: results.flatMap((result) => result.bearerCpuNs),
        callsPerRound: results.flatMap((result) => result.callsPerRound),
        dpopFirstProcesses: results.reduce((sum, result) => sum + result.dpopFirstProcesses, 0),
        dpopTokenType: first.dpopTokenType,
        bearerTokenType: first.bearerTokenType,
        tokenRequests: results.reduce((sum, result) => sum + result.tokenRequests, 0),
      },
    }
  } catch (error) {
    return { ok: false, error: messageOf(error) }
  } finally {
    await server?.stop()
  }
}

/** Part 1: both subjects taking turns against one token server and one resource, batch after batch, as section 3b. */
async function interleaved({ settings }: SectionContext): Promise<DpopRequestOutcomes> {
  let server: ServerProcess | undefined
  let resource: ServerProcess | undefined
  try {
    server = await startServerProcess(COUNTING)
    resource = await startServerProcess(RESOURCE)
    const shared = server
    const resourceInfo = resource.info
    const batches: DpopRequestOutcomes[] = []
    for (let batch = 0; batch < settings.freshProcesses; batch++) {
      batches.push(
        await conductTurns(
          DPOP_SUBJECT_IDS,
          (subject) => startDpopChild<CallResult>({ part: 'request', subject, server: shared.info, resource: resourceInfo, settings }, shared),
          { recorded: settings.freshRounds, unrecorded: settings.freshUnrecordedRotations },
        ),
      )
    }
    return Object.fromEntries(DPOP_SUBJECT_IDS.map((subject) => [subject, mergeProcesses(batches.map((batch) => batch[subject]))]))
  } catch (error) {
    return failedAll<DpopSubjectId, CallResult>(DPOP_SUBJECT_IDS, error)
  } finally {
    await Promise.all([server?.stop(), resource?.stop()])
  }
}

// In the child process (children/dpop-client.ts) from here on.

type PackageModule = typeof import('oauth2-client-credentials')

/** The package from dist/, loaded in the child only (the parent imports this file too). */
let packageModule: Promise<PackageModule> | undefined
const loadPackage = (): Promise<PackageModule> => (packageModule ??= import('oauth2-client-credentials'))

export function measureDpop(task: DpopClientTask, channel: Channel): Promise<unknown> {
  switch (task.part) {
    case 'request':
      return measureRequests(task.subject, task.server, task.resource, task.settings, channel)
    case 'hit':
      return measureHit(task.server, task.settings, task.dpopFirst, channel)
  }
}

/** A subject of part 1: the access token it carries, and how it sends a request with it. */
interface RequestSubject {
  readonly accessToken: string
  send(url: string): Promise<Response>
  close(): Promise<void>
}

/** `ath` of RFC 9449 §4.2: base64url SHA-256 of the access token. */
const accessTokenHash = (accessToken: string): string => createHash('sha256').update(accessToken, 'ascii').digest('base64url')

/** The floor's proof: one `SignJWT`, the header and claims RFC 9449 §4.2 asks for (`ath` at a resource). */
function floorProof(key: KeyObject, jwk: JWK, htm: string, htu: string, accessToken?: string): Promise<string> {
  const claims: Record<string, string | number> = { htm, htu, iat: Math.floor(Date.now() / 1000), jti: randomUUID() }
  if (accessToken !== undefined) claims['ath'] = accessTokenHash(accessToken)
  return new SignJWT(claims).setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk }).sign(key)
}

/** The floor's token, once: a raw token request (Basic auth) with a proof, checked to be DPoP-bound. */
async function floorToken(tokenUrl: string, key: KeyObject, jwk: JWK): Promise<string> {
  const { statusCode, body } = await request(tokenUrl, {
    method: 'POST',
    headers: {
      authorization: BASIC_AUTHORIZATION,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      dpop: await floorProof(key, jwk, 'POST', tokenUrl),
    },
    body: TOKEN_REQUEST_BODY,
  })
  const json = (await body.json()) as { access_token?: unknown; token_type?: unknown }
  if (statusCode !== 200 || typeof json.access_token !== 'string' || json.token_type !== 'DPoP') {
    throw new Error(`the server answered the floor's DPoP token request ${statusCode} ${JSON.stringify(json).slice(0, 200)}`)
  }
  return json.access_token
}

async function requestSubject(subject: DpopSubjectId, server: ServerInfo, resource: ServerInfo): Promise<RequestSubject> {
  if (subject === 'dpop-floor') {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const { kty, crv, x, y } = createPublicKey(privateKey).export({ format: 'jwk' })
    const jwk: JWK = { kty, crv, x, y } as JWK
    const accessToken = await floorToken(server.tokenUrl, privateKey, jwk)
    const authorization = `DPoP ${accessToken}`
    return {
      accessToken,
      async send(url) {
        const proof = await floorProof(privateKey, jwk, 'GET', url, accessToken)
        return fetch(url, { headers: { authorization, dpop: proof } }) as unknown as Promise<Response>
      },
      close: async () => {},
    }
  }
  const { TokenClient, createAuthFetch } = await loadPackage()
  const client = new TokenClient({ tokenUrl: server.tokenUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, dpop: true })
  // The token is fetched, and cached, here: every request of the rounds finds it in the cache.
  const token = await client.getToken(SCOPE)
  if (token.tokenType !== 'DPoP') throw new Error(`TokenClient with dpop: true got a ${token.tokenType} token`)
  const authFetch = createAuthFetch(client, { scope: SCOPE, origins: [resource.issuer] })
  return { accessToken: token.accessToken, send: (url) => authFetch(url), close: () => client.close() }
}

/**
 * Before the rounds, once: one request to the resource's echo path, whose `Authorization` must be
 * `DPoP <token>` and whose `DPoP` proof must verify against the key in its own header and hold the
 * claims of this request (typ, alg, htm, htu, ath, jti, iat).
 */
async function checkSubject(subject: RequestSubject, resource: ServerInfo): Promise<void> {
  const url = `${resource.issuer}${DPOP_ECHO_PATH}`
  const response = await subject.send(url)
  if (response.status !== 200) throw new Error(`the resource answered ${response.status}`)
  const echoed = (await response.json()) as EchoedHeaders
  if (echoed.authorization !== `DPoP ${subject.accessToken}`) throw new Error(`the request carried Authorization: ${String(echoed.authorization).slice(0, 20)}...`)
  if (echoed.dpop === null) throw new Error('the request carried no DPoP proof')
  const { payload, protectedHeader } = await jwtVerify(echoed.dpop, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] })
  const problems = [
    (protectedHeader.jwk as Record<string, unknown> | undefined)?.['d'] === undefined ? undefined : 'a private key in its header',
    payload['htm'] === 'GET' ? undefined : `htm ${String(payload['htm'])}`,
    payload['htu'] === url ? undefined : `htu ${String(payload['htu'])}`,
    payload['ath'] === accessTokenHash(subject.accessToken) ? undefined : 'an ath not of the token',
    typeof payload.jti === 'string' && payload.jti.length >= 16 ? undefined : 'no jti',
    typeof payload.iat === 'number' && Math.abs(payload.iat - Date.now() / 1000) < 5 ? undefined : 'no current iat',
  ].filter((problem) => problem !== undefined)
  if (problems.length > 0) throw new Error(`the DPoP proof had ${problems.join(', ')}`)
}

/**
 * Part 1, in turns with the other subject: made, checked and warmed up once, then each round a
 * short re-warm and a timed round of requests, kept unless it belongs to the unrecorded rotations
 * (as section 3's {@link measureFreshWith}, with a request to the resource as the call).
 */
function measureRequests(id: DpopSubjectId, server: ServerInfo, resource: ServerInfo, settings: Settings, channel: Channel): Promise<CallResult> {
  const url = `${resource.issuer}${DPOP_RESOURCE_PATH}`
  let subject: RequestSubject | undefined
  const call = async (): Promise<unknown> => {
    const response = await (subject as RequestSubject).send(url)
    if (response.status !== 200) throw new Error(`the resource answered ${response.status}`)
    return response.json()
  }
  return timeFreshRounds(settings, channel, {
    call,
    async prepare() {
      subject = await requestSubject(id, server, resource)
      await checkSubject(subject, resource)
    },
    close: async () => subject?.close(),
  })
}

/**
 * Part 2: cached getToken on two clients of one process, one with `dpop: true`, one without, made
 * (and their tokens fetched) in the order given. The round length is calibrated on the Bearer client
 * as in section 1, both are warmed up, then rounds alternate ABBA (whichever goes second in a pair
 * alternates, so that drift falls on both alike).
 */
async function measureHit(server: ServerInfo, settings: Settings, dpopFirst: boolean, channel: Channel): Promise<DpopHitResult> {
  const { TokenClient } = await loadPackage()
  const options = { tokenUrl: server.tokenUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }
  const newDpop = () => new TokenClient({ ...options, dpop: true })
  const newBearer = () => new TokenClient(options)
  let dpopClient: InstanceType<PackageModule['TokenClient']>
  let bearerClient: InstanceType<PackageModule['TokenClient']>
  if (dpopFirst) {
    dpopClient = newDpop()
    bearerClient = newBearer()
  } else {
    bearerClient = newBearer()
    dpopClient = newDpop()
  }
  try {
    const [first, second] = dpopFirst ? [dpopClient, bearerClient] : [bearerClient, dpopClient]
    await first.getToken(SCOPE)
    await second.getToken(SCOPE)
    // From the cache by now.
    const dpopToken = await dpopClient.getToken(SCOPE)
    const bearerToken = await bearerClient.getToken(SCOPE)
    if (dpopToken.tokenType !== 'DPoP') throw new Error(`TokenClient with dpop: true got a ${dpopToken.tokenType} token`)
    if (bearerToken.tokenType !== 'Bearer') throw new Error(`TokenClient without dpop got a ${bearerToken.tokenType} token`)
    const withDpop = () => dpopClient.getToken(SCOPE)
    const bearer = () => bearerClient.getToken(SCOPE)
    let count = await calibrateCount(bearer, settings.cachedRoundMs)
    await warmUp(withDpop, count, count)
    await warmUp(bearer, count, count)
    // The count again from warm calls: the first calibration ran on cold code.
    count = roundCount(await timeCalls(bearer, count), settings.cachedRoundMs)
    const result = { dpopNs: [] as number[], bearerNs: [] as number[], dpopCpuNs: [] as number[], bearerCpuNs: [] as number[] }
    const timeDpop = async () => {
      const { ns: wall, cpuNs } = await timeRound(withDpop, count)
      result.dpopNs.push(wall)
      result.dpopCpuNs.push(cpuNs)
    }
    const timeBearer = async () => {
      const { ns: wall, cpuNs } = await timeRound(bearer, count)
      result.bearerNs.push(wall)
      result.bearerCpuNs.push(cpuNs)
    }
    const before = await serverRequests(channel)
    for (let round = 0; round < settings.dpopHitRounds; round++) {
      if (round % 2 === 0) {
        await timeDpop()
        await timeBearer()
      } else {
        await timeBearer()
        await timeDpop()
      }
    }
    const tokenRequests = (await serverRequests(channel)) - before
    return { ...result, callsPerRound: [count], dpopFirstProcesses: dpopFirst ? 1 : 0, dpopTokenType: dpopToken.tokenType, bearerTokenType: bearerToken.tokenType, tokenRequests }
  } finally {
    await Promise.all([dpopClient.close(), bearerClient.close()])
  }
}
