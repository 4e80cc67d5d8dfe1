// What every client of the benchmark offers the sections: a library's idiomatic "get a token",
// a forced new token, and where the access token is in what it resolved with.
import type { ServerInfo } from '../servers/server.js'

export interface ClientAdapter {
  /** The library's idiomatic "get me a token for this scope" (from its cache, if it has one). */
  get(scope: string): Promise<unknown>
  /** A new token from the server, whatever is cached. */
  fresh(scope: string): Promise<unknown>
  /** The access token in what `get` or `fresh` resolved with. */
  tokenOf(result: unknown): string
  close(): Promise<void>
}

export interface AdapterOptions {
  /** The client to authenticate as (the memory section uses another). */
  readonly clientId: string
  /** TokenClient's `cache.maxEntries`. */
  readonly maxEntries?: number | undefined
}

/** A client library as the benchmark drives it. Each adapter is created in the child process that measures it. */
export interface Client {
  readonly id: string
  readonly label: string
  /** Whether `get` answers from a cache, or makes a request each call. */
  readonly caches: boolean
  /** How it was driven, for the docs. */
  readonly how: string
  create(server: ServerInfo, options: AdapterOptions): Promise<ClientAdapter> | ClientAdapter
}

/** `access_token` of a token response, as the libraries without a token class resolve with. */
export function accessTokenField(result: unknown): string {
  const token = (result as { access_token?: unknown } | undefined)?.access_token
  if (typeof token !== 'string') throw new Error('no access_token in the result')
  return token
}

/** `accessToken` of a library's token object. */
export function accessTokenProperty(result: unknown): string {
  return (result as { accessToken: string }).accessToken
}
