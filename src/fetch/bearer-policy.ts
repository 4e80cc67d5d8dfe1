import { channel } from 'node:diagnostics_channel'
import { invalidArgument } from '../errors/invalid-argument.js'
import { isLoopbackHost } from '../protocol/loopback.js'

/**
 * Where a bearer token may be sent: a list of origins, or a predicate of your own.
 *
 * An entry is an exact origin, scheme, host and port all equal (`https://api.example.com` is not
 * `https://api.example.com:8443`, `http://api.example.com`, nor `https://localhost` the same as
 * `https://127.0.0.1`: hosts are compared as written, never resolved), or a wildcard,
 * `https://*.example.com`: any subdomain of `example.com`, one label or more (`a.example.com`,
 * `a.b.example.com`), over https only, on the listed port only (443 when none is written), never
 * `example.com` itself (list it too if it should get the token). A `*` anywhere else (`https://a*.example.com`,
 * `https://api.*.example.com`), a wildcard over a single label (`https://*.com`) or over plain http,
 * and an entry with a path, query or credentials can never match, and are refused with a `TypeError`.
 *
 * @example
 * ['https://api.example.com', 'https://files.example.com:8443']
 * ['https://*.tenants.example.com'] // acme.tenants.example.com, not tenants.example.com
 * (url: URL) => url.protocol === 'https:' && url.hostname.endsWith('.internal.example.com')
 */
export type OriginsOption = ReadonlyArray<string | URL> | ((url: URL) => boolean)

/** Decides, for one URL, whether the bearer token may go there. */
export type BearerPolicy = (url: URL) => boolean

/**
 * Why a request went out without the token: its origin is not listed (or the predicate said no), it
 * is not https (plain http to a non-loopback host without `allowInsecureHttp`; the origins were not
 * asked), or it already had an `Authorization` header of its own, which is sent as it is.
 */
export type BearerSkipReason = 'origin-not-listed' | 'insecure-http' | 'has-authorization'

/**
 * What {@link BEARER_SKIPPED_CHANNEL} publishes for a request that went out without the token.
 *
 * @example
 * { url: 'https://other.example.com/orders', reason: 'origin-not-listed' }
 */
export interface BearerSkippedMessage {
  /** The request's origin and path; never its query, which may carry a secret of its own. */
  readonly url: string
  /** Why the token was not sent. */
  readonly reason: BearerSkipReason
}

/**
 * The `node:diagnostics_channel` name on which a {@link BearerSkippedMessage} is published for each
 * request sent without the token. Nothing is built or published while the channel has no subscriber.
 *
 * @example
 * import { subscribe } from 'node:diagnostics_channel'
 * subscribe('oauth2-client-credentials:bearer:skipped', ({ url, reason }) => console.debug('no token for', url, reason))
 */
export const BEARER_SKIPPED_CHANNEL = 'oauth2-client-credentials:bearer:skipped'

const skipped = channel(BEARER_SKIPPED_CHANNEL)

/** True when {@link BEARER_SKIPPED_CHANNEL} has a subscriber: work done only to publish can be skipped otherwise. */
export function bearerSkippedObserved(): boolean {
  return skipped.hasSubscribers
}

/** Publishes why `url` goes out without the token, when anyone listens. */
export function publishBearerSkipped(url: URL, reason: BearerSkipReason): void {
  if (skipped.hasSubscribers) skipped.publish({ url: url.origin + url.pathname, reason } satisfies BearerSkippedMessage)
}

/**
 * Builds the rule for which requests carry the token: only to the listed origins (scheme, host and
 * port all equal, or a `https://*.` wildcard's subdomains) or those the predicate accepts, and only
 * over https, except to loopback hosts or with `allowInsecureHttp`. Each URL refused is published on
 * {@link BEARER_SKIPPED_CHANNEL} when it has a subscriber.
 *
 * @example
 * const mayCarry = bearerPolicy(['https://api.example.com', 'https://*.tenants.example.com'], false)
 * mayCarry(new URL('https://api.example.com/orders'))      // true
 * mayCarry(new URL('https://api.example.com:8443/'))       // false: another port is another origin
 * mayCarry(new URL('https://acme.tenants.example.com/'))   // true
 * mayCarry(new URL('https://tenants.example.com/'))        // false: a wildcard never matches its apex
 */
export function bearerPolicy(origins: OriginsOption, allowInsecureHttp: boolean): BearerPolicy {
  const secureEnough = (url: URL) =>
    url.protocol === 'https:' || (url.protocol === 'http:' && (allowInsecureHttp || isLoopbackHost(url.hostname)))
  const listed = typeof origins === 'function' ? (url: URL) => origins(url) === true : originList(origins, allowInsecureHttp)
  return (url) => {
    if (!secureEnough(url)) {
      publishBearerSkipped(url, 'insecure-http')
      return false
    }
    if (listed(url)) return true
    publishBearerSkipped(url, 'origin-not-listed')
    return false
  }
}

/** The rule of a list of origins: exact ones looked up, wildcards matched on the host's suffix. */
function originList(origins: ReadonlyArray<string | URL>, allowInsecureHttp: boolean): (url: URL) => boolean {
  if (!Array.isArray(origins) || origins.length === 0) {
    throw invalidArgument('origins', 'must list at least one origin (such as "https://api.example.com") or be a function')
  }
  const exact = new Set<string>()
  const wildcards: Array<{ suffix: string; port: string }> = []
  for (const origin of origins) {
    const text = String(origin)
    if (!URL.canParse(text)) throw invalidArgument('origins', `has an entry that is not an absolute URL: ${JSON.stringify(text)}`)
    const url = new URL(text)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw invalidArgument('origins', `has an entry that is not http(s): ${JSON.stringify(text)} (write it as scheme://host[:port], such as "https://api.example.com")`)
    }
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
      throw invalidArgument('origins', `must hold origins only (scheme, host and port), not ${JSON.stringify(text)}`)
    }
    if (url.hostname.includes('*')) {
      wildcards.push({ suffix: wildcardSuffix(url, text), port: url.port })
      continue
    }
    if (url.protocol === 'http:' && !allowInsecureHttp && !isLoopbackHost(url.hostname)) {
      throw invalidArgument('origins', `lists plain-http ${url.origin}; the bearer goes only over https (or set allowInsecureHttp)`)
    }
    exact.add(url.origin)
  }
  if (wildcards.length === 0) return (url) => exact.has(url.origin)
  return (url) => exact.has(url.origin) || (url.protocol === 'https:' && wildcards.some((w) => w.port === url.port && isSubdomain(url.hostname, w.suffix)))
}

/**
 * The `.example.com` of `https://*.example.com`. Refuses, as entries that could never match or would
 * match too much, a `*` that is not the whole leftmost label, a wildcard over plain http, and one
 * over fewer than two labels.
 */
function wildcardSuffix(url: URL, text: string): string {
  const suffix = url.hostname.slice(1)
  const labels = suffix.split('.').slice(1)
  if (!url.hostname.startsWith('*.') || suffix.includes('*') || labels.includes('')) {
    throw invalidArgument(
      'origins',
      `has a "*" that can never match in ${JSON.stringify(text)}: a wildcard is the whole leftmost label, as in "https://*.example.com"`,
    )
  }
  if (url.protocol !== 'https:') throw invalidArgument('origins', `has a plain-http wildcard ${JSON.stringify(text)}; wildcards are https only`)
  if (labels.length < 2) throw invalidArgument('origins', `has a wildcard over a single label, ${JSON.stringify(text)}; name the domain, as in "https://*.example.com"`)
  return suffix
}

/** Whether `hostname` is `sub.example.com` for the suffix `.example.com`, one label or more, never the apex. */
function isSubdomain(hostname: string, suffix: string): boolean {
  if (hostname.length <= suffix.length || !hostname.endsWith(suffix)) return false
  const sub = hostname.slice(0, -suffix.length)
  return !sub.startsWith('.') && !sub.endsWith('.') && !sub.includes('..')
}
