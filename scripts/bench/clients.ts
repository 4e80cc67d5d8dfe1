// Every client the benchmark measures, behind one small interface: the package's TokenClient, the
// other libraries doing their idiomatic "get a token", and the floors. Each adapter is created in
// the child process that measures it, and only there are its library's modules loaded.
import { Agent, request } from 'undici'
import { BASIC_AUTHORIZATION, CLIENT_ID, CLIENT_SECRET } from './config.js'
import type { ServerInfo } from './servers.js'

export type ClientId =
  | 'floor'
  | 'token-client'
  | 'msal-node'
  | 'badgateway'
  | 'openid-client'
  | 'oauth4webapi'
  | 'simple-oauth2'

export interface ClientAdapter {
  /** The library's idiomatic "get me a token for this scope" (from its cache, if it has one). */
  get(scope: string): Promise<unknown>
  /** A new token from the server, whatever is cached. */
  fresh(scope: string): Promise<unknown>
  /** The access token in what `get` or `fresh` resolved with. */
  tokenOf(result: unknown): string
  close(): Promise<void>
}

export interface ClientInfo {
  readonly id: ClientId
  readonly label: string
  /** Whether `get` answers from a cache, or makes a request each call. */
  readonly caches: boolean
  /** How it was driven, for the docs. */
  readonly how: string
}

export interface AdapterOptions {
  /** The client to authenticate as (the memory benchmark uses another). */
  readonly clientId?: string
  /** TokenClient's `cache.maxEntries`. */
  readonly maxEntries?: number
}

export const CLIENTS: readonly ClientInfo[] = [
  {
    id: 'floor',
    label: 'floor: Map + raw undici.request',
    caches: true,
    how:
      'Hand-written: an async function returning the token from a `Map<scope, token>`; on a miss one raw ' +
      '`undici.request` POST (Basic, form body, `body.json()`) shared by concurrent callers through a `Map` of promises.',
  },
  {
    id: 'token-client',
    label: 'oauth2-client-credentials TokenClient',
    caches: true,
    how: '`client.getToken(scope)`; fresh: `getToken(scope, { forceRefresh: true })`.',
  },
  {
    id: 'msal-node',
    label: '@azure/msal-node 7',
    caches: true,
    how:
      '`ConfidentialClientApplication.acquireTokenByClientCredential({ scopes: [scope] })`; fresh: `skipCache: true`. ' +
      'MSAL refuses `http:` authorities, so it is given `https://127.0.0.1:<port>` with `authorityMetadata` and a ' +
      '`system.networkClient` that sends its POSTs to the plain-http server with undici.',
  },
  {
    id: 'badgateway',
    label: '@badgateway/oauth2-client 3',
    caches: true,
    how:
      '`OAuth2Fetch.getToken()` of an `OAuth2Fetch` per scope whose `getNewToken` is `client.clientCredentials({ scope })` ' +
      '(its token-keeping helper; one token per instance); fresh: `refreshToken()`.',
  },
  {
    id: 'openid-client',
    label: 'openid-client 6',
    caches: false,
    how: '`clientCredentialsGrant(config, { scope })` with `ClientSecretBasic()`; no cache, a request per call.',
  },
  {
    id: 'oauth4webapi',
    label: 'oauth4webapi 3',
    caches: false,
    how: '`clientCredentialsGrantRequest` + `processClientCredentialsResponse` with `ClientSecretBasic`; no cache.',
  },
  {
    id: 'simple-oauth2',
    label: 'simple-oauth2 5',
    caches: false,
    how: "`new ClientCredentials(...).getToken({ scope })`, `authorizationMethod: 'header'`; no cache.",
  },
]

export function clientInfo(id: ClientId): ClientInfo {
  const info = CLIENTS.find((client) => client.id === id)
  if (info === undefined) throw new Error(`unknown client ${id}`)
  return info
}

export async function createAdapter(id: ClientId, server: ServerInfo, options: AdapterOptions = {}): Promise<ClientAdapter> {
  const clientId = options.clientId ?? CLIENT_ID
  switch (id) {
    case 'floor':
      return floor(server, clientId)
    case 'token-client':
      return tokenClient(server, clientId, options.maxEntries)
    case 'msal-node':
      return msal(server, clientId)
    case 'badgateway':
      return badgateway(server, clientId)
    case 'openid-client':
      return openidClient(server, clientId)
    case 'oauth4webapi':
      return oauth4webapi(server, clientId)
    case 'simple-oauth2':
      return simpleOauth2(server, clientId)
  }
}

function basic(clientId: string): string {
  return clientId === CLIENT_ID
    ? BASIC_AUTHORIZATION
    : `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${CLIENT_SECRET}`).toString('base64')}`
}

const accessTokenField = (result: unknown): string => {
  const token = (result as { access_token?: unknown } | undefined)?.access_token
  if (typeof token !== 'string') throw new Error('no access_token in the result')
  return token
}

// ---- The floor ---------------------------------------------------------------------------------------

/** One raw token request: the floor of a fresh acquisition. */
export async function rawTokenRequest(tokenUrl: string, authorization: string, scope: string): Promise<string> {
  const { statusCode, body } = await request(tokenUrl, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: `grant_type=client_credentials&scope=${encodeURIComponent(scope)}`,
  })
  const json = (await body.json()) as { access_token?: unknown }
  if (statusCode !== 200 || typeof json.access_token !== 'string') throw new Error(`token request answered ${statusCode}`)
  return json.access_token
}

function floor(server: ServerInfo, clientId: string): ClientAdapter {
  const authorization = basic(clientId)
  const tokens = new Map<string, string>()
  const pending = new Map<string, Promise<string>>()
  const fetchToken = (scope: string): Promise<string> => {
    let promise = pending.get(scope)
    if (promise === undefined) {
      promise = rawTokenRequest(server.tokenUrl, authorization, scope).then(
        (token) => {
          pending.delete(scope)
          tokens.set(scope, token)
          return token
        },
        (error: unknown) => {
          pending.delete(scope)
          throw error
        },
      )
      pending.set(scope, promise)
    }
    return promise
  }
  async function get(scope: string): Promise<string> {
    const token = tokens.get(scope)
    if (token !== undefined) return token
    return fetchToken(scope)
  }
  return {
    get,
    fresh: (scope) => rawTokenRequest(server.tokenUrl, authorization, scope),
    tokenOf: (result) => result as string,
    close: async () => {},
  }
}

// ---- The package -------------------------------------------------------------------------------------

async function tokenClient(server: ServerInfo, clientId: string, maxEntries: number | undefined): Promise<ClientAdapter> {
  const { TokenClient } = await import('oauth2-client-credentials')
  const client = new TokenClient({
    tokenUrl: server.tokenUrl,
    clientId,
    clientSecret: CLIENT_SECRET,
    ...(maxEntries === undefined ? {} : { cache: { maxEntries } }),
  })
  return {
    get: (scope) => client.getToken(scope),
    fresh: (scope) => client.getToken(scope, { forceRefresh: true }),
    tokenOf: (result) => (result as { accessToken: string }).accessToken,
    close: () => client.close(),
  }
}

// ---- @azure/msal-node --------------------------------------------------------------------------------

async function msal(server: ServerInfo, clientId: string): Promise<ClientAdapter> {
  const { ConfidentialClientApplication, LogLevel } = await import('@azure/msal-node')
  type NetworkClient = NonNullable<NonNullable<ConstructorParameters<typeof ConfidentialClientApplication>[0]['system']>['networkClient']>
  const authority = `https://127.0.0.1:${server.port}`
  const dispatcher = new Agent()
  const networkClient: NetworkClient = {
    sendGetRequestAsync: (url) => Promise.reject(new Error(`unexpected GET ${url}`)),
    async sendPostRequestAsync(url, options) {
      const response = await request(url.replace(authority, server.issuer), {
        method: 'POST',
        headers: options?.headers ?? {},
        body: options?.body ?? null,
        dispatcher,
      })
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
      }
      return { headers, body: (await response.body.json()) as never, status: response.statusCode }
    },
  }
  const app = new ConfidentialClientApplication({
    auth: {
      clientId,
      clientSecret: CLIENT_SECRET,
      authority: `${authority}/`,
      knownAuthorities: [`127.0.0.1:${server.port}`],
      authorityMetadata: JSON.stringify({
        issuer: authority,
        token_endpoint: `${authority}/token`,
        authorization_endpoint: `${authority}/authorize`,
        end_session_endpoint: `${authority}/logout`,
        jwks_uri: `${authority}/jwks`,
      }),
    },
    system: { networkClient, protocolMode: 'OIDC' as never, loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => {} } },
  })
  const acquire = async (scope: string, skipCache: boolean) => {
    const result = await app.acquireTokenByClientCredential({ scopes: [scope], skipCache })
    if (result === null) throw new Error('MSAL returned null')
    return result
  }
  return {
    get: (scope) => acquire(scope, false),
    fresh: (scope) => acquire(scope, true),
    tokenOf: (result) => (result as { accessToken: string }).accessToken,
    close: () => dispatcher.close(),
  }
}

// ---- @badgateway/oauth2-client -----------------------------------------------------------------------

async function badgateway(server: ServerInfo, clientId: string): Promise<ClientAdapter> {
  const { OAuth2Client, OAuth2Fetch } = await import('@badgateway/oauth2-client')
  const client = new OAuth2Client({
    server: server.issuer,
    tokenEndpoint: '/token',
    clientId,
    clientSecret: CLIENT_SECRET,
    authenticationMethod: 'client_secret_basic',
  })
  type Fetcher = InstanceType<typeof OAuth2Fetch>
  const fetchers = new Map<string, Fetcher>()
  let lastScope: string | undefined
  let lastFetcher: Fetcher | undefined
  const fetcher = (scope: string): Fetcher => {
    if (scope === lastScope && lastFetcher !== undefined) return lastFetcher
    let found = fetchers.get(scope)
    if (found === undefined) {
      found = new OAuth2Fetch({ client, getNewToken: () => client.clientCredentials({ scope: [scope] }) })
      fetchers.set(scope, found)
    }
    lastScope = scope
    lastFetcher = found
    return found
  }
  return {
    get: (scope) => fetcher(scope).getToken(),
    fresh: (scope) => fetcher(scope).refreshToken(),
    tokenOf: (result) => (result as { accessToken: string }).accessToken,
    close: async () => {},
  }
}

// ---- openid-client, oauth4webapi, simple-oauth2: no cache --------------------------------------------

async function openidClient(server: ServerInfo, clientId: string): Promise<ClientAdapter> {
  const openid = await import('openid-client')
  const config = new openid.Configuration(
    { issuer: server.issuer, token_endpoint: server.tokenUrl },
    clientId,
    CLIENT_SECRET,
    openid.ClientSecretBasic(),
  )
  openid.allowInsecureRequests(config)
  const grant = (scope: string) => openid.clientCredentialsGrant(config, { scope })
  return { get: grant, fresh: grant, tokenOf: accessTokenField, close: async () => {} }
}

async function oauth4webapi(server: ServerInfo, clientId: string): Promise<ClientAdapter> {
  const oauth = await import('oauth4webapi')
  const as: import('oauth4webapi').AuthorizationServer = { issuer: server.issuer, token_endpoint: server.tokenUrl }
  const client: import('oauth4webapi').Client = { client_id: clientId }
  const auth = oauth.ClientSecretBasic(CLIENT_SECRET)
  const options = { [oauth.allowInsecureRequests]: true }
  const grant = async (scope: string) => {
    const response = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams({ scope }), options)
    return oauth.processClientCredentialsResponse(as, client, response)
  }
  return { get: grant, fresh: grant, tokenOf: accessTokenField, close: async () => {} }
}

async function simpleOauth2(server: ServerInfo, clientId: string): Promise<ClientAdapter> {
  const { ClientCredentials } = await import('simple-oauth2')
  const client = new ClientCredentials({
    client: { id: clientId, secret: CLIENT_SECRET },
    auth: { tokenHost: server.issuer, tokenPath: '/token' },
    options: { authorizationMethod: 'header' },
  })
  const grant = (scope: string) => client.getToken({ scope })
  return {
    get: grant,
    fresh: grant,
    tokenOf: (result) => accessTokenField((result as { token: unknown }).token),
    close: async () => {},
  }
}
