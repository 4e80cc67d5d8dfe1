import { invalidArgument } from '../errors/invalid-argument.js'

/**
 * True for hosts that never leave the machine: `localhost`, 127.0.0.0/8 and `[::1]`.
 *
 * @example
 * isLoopbackHost('127.0.0.1') // true
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  if (host === '[::1]' || host === '::1') return true
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
