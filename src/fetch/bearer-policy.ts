import { invalidArgument } from '../errors/invalid-argument.js'
import { isLoopbackHost } from '../http/token-url.js'

/**
 * Where a bearer token may be sent: a list of exact origins, or a predicate of your own.
 *
 * @example
 * ['https://api.example.com', 'https://files.example.com:8443']
 * (url: URL) => url.protocol === 'https:' && url.hostname.endsWith('.internal.example.com')
 */
export type OriginsOption = ReadonlyArray<string | URL> | ((url: URL) => boolean)

/** Decides, for one URL, whether the bearer token may go there. */
export type BearerPolicy = (url: URL) => boolean

/**
 * Builds the rule for which requests carry the token: only to the listed origins (scheme, host and
 * port all equal) or those the predicate accepts, and only over https, except to loopback hosts or
 * with `allowInsecureHttp`.
 *
 * @example
 * const mayCarry = bearerPolicy(['https://api.example.com'], false)
 * mayCarry(new URL('https://api.example.com/orders')) // true
 * mayCarry(new URL('https://api.example.com:8443/'))  // false: another port is another origin
 */
export function bearerPolicy(origins: OriginsOption, allowInsecureHttp: boolean): BearerPolicy {
  const secureEnough = (url: URL) =>
    url.protocol === 'https:' || (url.protocol === 'http:' && (allowInsecureHttp || isLoopbackHost(url.hostname)))
  if (typeof origins === 'function') return (url) => secureEnough(url) && origins(url) === true
  if (!Array.isArray(origins) || origins.length === 0) {
    throw invalidArgument('origins', 'must list at least one origin (such as "https://api.example.com") or be a function')
  }
  const allowed = new Set<string>()
  for (const origin of origins) {
    const text = String(origin)
    if (!URL.canParse(text)) throw invalidArgument('origins', `has an entry that is not an absolute URL: ${JSON.stringify(text)}`)
    const url = new URL(text)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidArgument('origins', `has an entry that is not http(s): ${JSON.stringify(text)}`)
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
      throw invalidArgument('origins', `must hold origins only (scheme, host and port), not ${JSON.stringify(text)}`)
    }
    if (url.protocol === 'http:' && !allowInsecureHttp && !isLoopbackHost(url.hostname)) {
      throw invalidArgument('origins', `lists plain-http ${url.origin}; the bearer goes only over https (or set allowInsecureHttp)`)
    }
    allowed.add(url.origin)
  }
  return (url) => allowed.has(url.origin) && secureEnough(url)
}
