// Section 3b, fresh acquisition with `private_key_jwt` (ES256): a new token on every call, one call
// at a time, as in section 3, but the client authenticates with a new ES256 client assertion per
// request. Two subjects, in processes of their own, against one reference server process that has
// the client's public key registered: TokenClient (`authMethod: 'private_key_jwt'`, a KeyObject),
// and the floor, a raw `undici.request` POST whose `client_assertion` one jose `SignJWT` made for
// it (the same header and claims: iss, sub, aud, jti, iat, exp). They take turns round by round
// (lib/turns.ts), in `freshProcesses` batches, with section 3's settings.
import { createPrivateKey, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto'
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import { request } from 'undici'
import { JWT_CLIENT_ID, JWT_KEY_ID, SCOPE, type Settings } from '../config.js'
import type { Outcome } from '../lib/child.js'
import type { Channel } from '../lib/ipc.js'
import { spawnTracked, startServerProcess, type ServerProcess } from '../lib/processes.js'
import { formatNs, median } from '../lib/stats.js'
import { conductTurns } from '../lib/turns.js'
import type { CallResult, Results } from '../results.js'
import type { ClientAdapter } from '../subjects/clients.js'
import { accessTokenProperty } from '../subjects/clients/client.js'
import type { ServerInfo } from '../subjects/servers.js'
import { failedAll, progressOfAll, type Section, type SectionContext } from './section.js'
import { measureFreshWith, mergeProcesses } from './fresh.js'

export const JWT_SUBJECTS = [
  {
    id: 'jwt-floor',
    label: 'floor: raw undici.request + one jose SignJWT',
    how: 'Per call: one jose `SignJWT` (ES256, KeyObject; iss = sub = client id, aud = token URL, random jti, iat, exp = iat + 60), then one raw `undici.request` POST of the form with `client_id`, `client_assertion_type` and `client_assertion`, `body.json()`.',
  },
  {
    id: 'jwt-token-client',
    label: 'TokenClient, private_key_jwt (ES256)',
    how: "`new TokenClient({ authMethod: 'private_key_jwt', privateKey: <ES256 KeyObject>, keyId })`, `getToken(scope, { forceRefresh: true })`.",
  },
] as const

export type JwtSubjectId = (typeof JWT_SUBJECTS)[number]['id']
const JWT_SUBJECT_IDS: readonly JwtSubjectId[] = JWT_SUBJECTS.map((subject) => subject.id)
const SUBJECT_COLUMN = 17

/** What a process of section 3b is given (children/jwt-client.ts). */
export interface JwtClientTask {
  readonly subject: JwtSubjectId
  readonly server: ServerInfo
  readonly settings: Settings
  /** The client's ES256 private key, made for this run. */
  readonly privateJwk: JWK
}

export const jwt: Section<'jwt'> = {
  id: 'jwt',
  heading: (settings) =>
    `3b. Fresh acquisition with private_key_jwt, ES256 (${settings.freshProcesses} batches of processes x ${settings.freshRounds} rounds, interleaved)`,
  async measure(context) {
    const since = performance.now()
    const outcomes = await interleaved(context)
    progressOfAll(context, JWT_SUBJECT_IDS, SUBJECT_COLUMN, outcomes, since, (value) => `${formatNs(median(value.nsPerCall))} per call`)
    return outcomes
  },
}

async function interleaved({ settings }: SectionContext): Promise<Results['jwt']> {
  let server: ServerProcess | undefined
  try {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
    const publicJwk = { ...(await exportJWK(publicKey)), kid: JWT_KEY_ID, alg: 'ES256', use: 'sig' }
    const privateJwk = await exportJWK(privateKey)
    server = await startServerProcess({ kind: 'reference-opaque', count: true, jwtClientJwks: { keys: [publicJwk] } })
    const shared = server
    const batches: Array<Results['jwt']> = []
    for (let batch = 0; batch < settings.freshProcesses; batch++) {
      batches.push(
        await conductTurns(
          JWT_SUBJECT_IDS,
          (subject) =>
            spawnTracked<CallResult>('jwt-client.ts', { subject, server: shared.info, settings, privateJwk } satisfies JwtClientTask, {
              timeoutMs: 600_000,
              handlers: { tokenRequests: () => shared.tokenRequests() },
            }),
          { recorded: settings.freshRounds, unrecorded: settings.freshUnrecordedRotations },
        ),
      )
    }
    return Object.fromEntries(JWT_SUBJECT_IDS.map((subject) => [subject, mergeProcesses(batches.map((batch) => batch[subject]))]))
  } catch (error) {
    return failedAll<JwtSubjectId, CallResult>(JWT_SUBJECT_IDS, error)
  } finally {
    await server?.stop()
  }
}

const ENCODED_ASSERTION_TYPE = encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')

/** The floor of 3b: one `SignJWT`, one raw `undici.request`. */
async function rawAssertionRequest(tokenUrl: string, key: KeyObject, scope: string): Promise<string> {
  const iat = Math.floor(Date.now() / 1000)
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: JWT_KEY_ID })
    .setIssuer(JWT_CLIENT_ID)
    .setSubject(JWT_CLIENT_ID)
    .setAudience(tokenUrl)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + 60)
    .sign(key)
  const { statusCode, body } = await request(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body:
      `grant_type=client_credentials&scope=${encodeURIComponent(scope)}&client_id=${encodeURIComponent(JWT_CLIENT_ID)}` +
      `&client_assertion_type=${ENCODED_ASSERTION_TYPE}&client_assertion=${assertion}`,
  })
  const json = (await body.json()) as { access_token?: unknown }
  if (statusCode !== 200 || typeof json.access_token !== 'string') {
    throw new Error(`the server answered the token request ${statusCode} ${JSON.stringify(json).slice(0, 200)}`)
  }
  return json.access_token
}

/** In the process of one subject (children/jwt-client.ts): section 3's turns, with this subject's calls. */
export function measureJwt(task: JwtClientTask, channel: Channel): Promise<CallResult> {
  return measureFreshWith(() => jwtAdapter(task), task.settings, channel)
}

async function jwtAdapter(task: JwtClientTask): Promise<ClientAdapter> {
  const key = createPrivateKey({ key: task.privateJwk as JsonWebKey, format: 'jwk' })
  if (task.subject === 'jwt-floor') {
    return {
      get: (scope) => rawAssertionRequest(task.server.tokenUrl, key, scope),
      fresh: (scope) => rawAssertionRequest(task.server.tokenUrl, key, scope),
      tokenOf: (result) => result as string,
      close: async () => {},
    }
  }
  const { TokenClient } = await import('oauth2-client-credentials')
  const client = new TokenClient({
    tokenUrl: task.server.tokenUrl,
    clientId: JWT_CLIENT_ID,
    authMethod: 'private_key_jwt',
    privateKey: key,
    keyId: JWT_KEY_ID,
  })
  const token = accessTokenProperty(await client.getToken(SCOPE))
  if (token.length < 20) throw new Error('TokenClient (private_key_jwt) returned no access token')
  return {
    get: (scope) => client.getToken(scope),
    fresh: (scope) => client.getToken(scope, { forceRefresh: true }),
    tokenOf: accessTokenProperty,
    close: () => client.close(),
  }
}

/** Outcomes of 3b, for the report: one subject's, by id. */
export type JwtOutcomes = Partial<Record<JwtSubjectId, Outcome<CallResult>>>
