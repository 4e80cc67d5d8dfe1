/**
 * True for a host that never leaves the machine, as a URL's `hostname` or a host to listen on:
 * `localhost` (which the system resolver answers from its hosts file), 127.0.0.0/8, `::1` (bracketed
 * or not), and IPv4-mapped 127.x in either spelling (`::ffff:127.0.0.1`, or `[::ffff:7f00:1]` as the
 * URL parser writes it). Not `*.localhost`: Node resolves those through DNS, which may answer with
 * any address, so plain http there could carry a secret or a token off the machine.
 *
 * @example
 * isLoopbackHost('127.0.0.1')       // true
 * isLoopbackHost('[::ffff:7f00:1]') // true
 * isLoopbackHost('api.localhost')   // false
 * isLoopbackHost('0.0.0.0')         // false
 */
export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase()
  const bare = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower
  return (
    bare === 'localhost' ||
    bare === '::1' ||
    IPV4_LOOPBACK.test(bare) ||
    (bare.startsWith('::ffff:') && (IPV4_LOOPBACK.test(bare.slice(7)) || MAPPED_HEX_LOOPBACK.test(bare.slice(7))))
  )
}

const IPV4_LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/
/** 127.x.y.z as the two hex groups of an IPv4-mapped address: `7fxx:yyzz`. */
const MAPPED_HEX_LOOPBACK = /^7f[0-9a-f]{2}:[0-9a-f]{1,4}$/
