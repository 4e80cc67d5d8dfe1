import { invalidArgument } from '../errors/invalid-argument.js'

/**
 * True for hosts that never leave the machine: `localhost` (which the system resolver answers from
 * its hosts file), 127.0.0.0/8, `[::1]` and IPv4-mapped 127.x (`[::ffff:7f00:1]`, as the URL parser
 * writes `[::ffff:127.0.0.1]`). Not `*.localhost`: Node resolves those through DNS, which may answer
 * with any address, so plain http there could carry a secret or a token off the machine.
 *
 * @example
 * isLoopbackHost('127.0.0.1')     // true
 * isLoopbackHost('api.localhost') // false
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  if (host === 'localhost') return true
  if (host === '[::1]' || host === '::1') return true
  if (/^\[?::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]?$/.test(host)) return true
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

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
