/** One challenge of a `WWW-Authenticate` header: its scheme (lowercase) and parameters (names lowercase). */
export interface Challenge {
  scheme: string
  params: Map<string, string>
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y
const SPACE = /[ \t]*/y
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*/y

/**
 * Parses a `WWW-Authenticate` value into its challenges (RFC 9110 §11.6.1), tolerating what servers
 * send in practice: several challenges, quoted or bare parameter values, `token68` credentials.
 *
 * @example
 * parseChallenges('Basic realm="x", Bearer error="invalid_token"')
 * // [{ scheme: 'basic', params: {realm: 'x'} }, { scheme: 'bearer', params: {error: 'invalid_token'} }]
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = []
  let at = 0
  let refusedToken68End = 0
  const skip = (pattern: RegExp) => {
    pattern.lastIndex = at
    const match = pattern.exec(header)
    if (match) at = pattern.lastIndex
    return match?.[0]
  }
  while (at < header.length) {
    skip(SPACE)
    if (header[at] === ',') {
      at++
      continue
    }
    const name = skip(TOKEN)
    if (name === undefined) {
      at++ // not something we understand: step over it
      continue
    }
    skip(SPACE)
    const current = challenges.at(-1)
    if (header[at] === '=' && current !== undefined && header[at + 1] !== '=') {
      at++
      skip(SPACE)
      current.params.set(name.toLowerCase(), readValue())
      continue
    }
    const challenge: Challenge = { scheme: name.toLowerCase(), params: new Map() }
    challenges.push(challenge)
    // A token68 directly after the scheme (Basic dXNlcjpwdw==) is not a parameter. A run already
    // refused as a token68 is not scanned again from a later start: it would end at the same place
    // and be refused for the same reason, and rescanning it made a long header cost quadratic time.
    const save = at
    const token68 = at < refusedToken68End ? undefined : skip(TOKEN68)
    if (token68 !== undefined) {
      const end = at
      skip(SPACE)
      const refused = (header[at] === '=' && !token68.endsWith('=')) || (at < header.length && header[at] !== ',')
      if (refused) {
        refusedToken68End = end
        at = save
      }
    }
  }
  return challenges

  function readValue(): string {
    if (header[at] !== '"') return skip(TOKEN) ?? ''
    let value = ''
    for (at++; at < header.length && header[at] !== '"'; at++) {
      if (header[at] === '\\') at++
      value += header[at] ?? ''
    }
    at++
    return value
  }
}

/**
 * True when a `WWW-Authenticate` value has a Bearer challenge with `error="invalid_token"` (RFC 6750 §3.1):
 * the token was refused as expired, revoked or unknown, and a new token may succeed.
 *
 * @example
 * isInvalidTokenChallenge('Bearer realm="api", error="invalid_token"') // true
 * isInvalidTokenChallenge('Bearer realm="api", error="insufficient_scope"') // false
 */
export function isInvalidTokenChallenge(header: string | null | undefined): boolean {
  if (!header) return false
  return parseChallenges(header).some(
    (challenge) => challenge.scheme === 'bearer' && challenge.params.get('error') === 'invalid_token',
  )
}
