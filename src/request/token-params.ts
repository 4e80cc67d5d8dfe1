import { invalidArgument } from '../errors/invalid-argument.js'

/**
 * Extra form parameters of a token request; a list repeats the parameter.
 *
 * @example
 * { tenant: 'acme', claims: ['a', 'b'] } // tenant=acme&claims=a&claims=b
 */
export type TokenParams = Readonly<Record<string, string | readonly string[] | undefined>>

/**
 * The extra parameters a client or a single `getToken()` call may add to the token request. Each
 * one given to `getToken()` replaces the client's.
 *
 * @example
 * new TokenClient({ ...credentials, audience: 'https://api.example.com' })
 * await client.getToken('read:orders', { audience: 'https://orders.example.com' })
 */
export interface ExtraParamsOptions {
  /**
   * The `audience` parameter some servers (Auth0, for example) use to pick the API a token is for.
   * @default none (in `getToken()`: the client's)
   * @example 'https://api.example.com'
   */
  audience?: string | undefined
  /**
   * RFC 8707 resource indicators: absolute URIs without a fragment. May be several.
   * @default none (in `getToken()`: the client's)
   * @example ['https://api.example.com/orders']
   */
  resource?: string | readonly string[] | undefined
  /**
   * Any other form parameters. `grant_type`, `scope`, `client_id`, `client_secret` and the
   * assertion parameters are set by the client and refused here, in any letter case.
   * @default none (in `getToken()`: the client's)
   * @example { tenant: 'acme' }
   */
  params?: TokenParams | undefined
}

/**
 * The names {@link ExtraParamsOptions} knows, for the unknown-option checks of every options object
 * that extends it (the client's, `getToken()`'s, the fetch wrapper's and the interceptor's).
 */
export const EXTRA_PARAMS_OPTIONS = {
  audience: true,
  resource: true,
  params: true,
} as const satisfies Record<keyof ExtraParamsOptions, true>

/** Extra parameters after normalisation: sorted by name, values sorted, empty values dropped. */
export type NormalizedParams = ReadonlyArray<readonly [string, readonly string[]]>

const RESERVED = new Set([
  'grant_type',
  'scope',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
])

/**
 * Merges parameter layers (client defaults first, then one call's), later layers replacing a name
 * entirely, and normalises the result so equal requests share one cache key.
 * Throws a `TypeError` for a reserved name, a non-string value, or a `resource` that is not an absolute URI.
 *
 * @example
 * normalizeParams({ audience: 'a' }, { resource: ['https://b/', 'https://a/'] })
 * // [['audience', ['a']], ['resource', ['https://a/', 'https://b/']]]
 */
export function normalizeParams(...layers: ReadonlyArray<ExtraParamsOptions | undefined>): NormalizedParams {
  const merged = new Map<string, readonly string[]>()
  for (const layer of layers) {
    if (layer === undefined) continue
    if (layer.params !== undefined) {
      if (typeof layer.params !== 'object' || layer.params === null) {
        throw invalidArgument('params', 'must be an object of strings or string arrays')
      }
      for (const [name, value] of Object.entries(layer.params)) {
        // Compared without case: many servers read form names case-insensitively (ASP.NET, for one).
        if (RESERVED.has(name.toLowerCase())) throw invalidArgument(`params.${name}`, 'is set by the client and cannot be given')
        if (value !== undefined) merged.set(name, valuesOf(`params.${name}`, value))
      }
    }
    if (layer.audience !== undefined) merged.set('audience', valuesOf('audience', layer.audience))
    if (layer.resource !== undefined) merged.set('resource', valuesOf('resource', layer.resource))
  }
  const resources = merged.get('resource')
  if (resources) {
    for (const resource of resources) {
      if (!URL.canParse(resource) || resource.includes('#')) {
        throw invalidArgument('resource', 'must be an absolute URI without a fragment (RFC 8707 §2)')
      }
    }
  }
  return [...merged]
    .filter(([, values]) => values.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

function valuesOf(name: string, value: string | readonly string[]): string[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.some((item) => typeof item !== 'string')) {
    throw invalidArgument(name, 'must be a string or an array of strings')
  }
  return [...new Set(list.filter((item) => item !== ''))].sort()
}
