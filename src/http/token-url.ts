import { invalidArgument } from '../errors/invalid-argument.js'
import { isLoopbackHost } from '../protocol/loopback.js'

/**
 * Parses and checks a token endpoint URL: absolute, http(s), no credentials or fragment, and https
 * unless the host is loopback or `allowInsecureHttp` is set (RFC 6749 §3.2 requires TLS). `name` is
 * the option the errors name: `tokenUrl`, `issuer`, or the metadata's `token_endpoint`.
 */
export function parseTokenUrl(value: unknown, allowInsecureHttp: boolean, name = 'tokenUrl'): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw invalidArgument(name, 'must be a string or URL')
  }
  const text = String(value)
  if (!URL.canParse(text)) throw invalidArgument(name, 'must be an absolute URL')
  const url = new URL(text)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalidArgument(name, `must use https: (got ${url.protocol})`)
  }
  if (url.username || url.password) {
    throw invalidArgument(name, 'must not carry credentials; use clientId and clientSecret')
  }
  if (url.hash) throw invalidArgument(name, 'must not have a fragment')
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowInsecureHttp) {
    throw invalidArgument(
      name,
      'must use https: (plain http is allowed only to loopback hosts, or with allowInsecureHttp: true)',
    )
  }
  return url
}
