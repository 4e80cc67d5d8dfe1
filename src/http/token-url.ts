import { invalidArgument } from '../errors/invalid-argument.js'
import { isLoopbackHost } from '../protocol/loopback.js'

/**
 * Parses and checks a token endpoint URL: absolute, http(s), no credentials or fragment, and https
 * unless the host is loopback or `allowInsecureHttp` is set (RFC 6749 §3.2 requires TLS).
 */
export function parseTokenUrl(value: unknown, allowInsecureHttp: boolean): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw invalidArgument('tokenUrl', 'must be a string or URL')
  }
  const text = String(value)
  if (!URL.canParse(text)) throw invalidArgument('tokenUrl', 'must be an absolute URL')
  const url = new URL(text)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalidArgument('tokenUrl', `must use https: (got ${url.protocol})`)
  }
  if (url.username || url.password) {
    throw invalidArgument('tokenUrl', 'must not carry credentials; use clientId and clientSecret')
  }
  if (url.hash) throw invalidArgument('tokenUrl', 'must not have a fragment')
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowInsecureHttp) {
    throw invalidArgument(
      'tokenUrl',
      'must use https: (plain http is allowed only to loopback hosts, or with allowInsecureHttp: true)',
    )
  }
  return url
}
