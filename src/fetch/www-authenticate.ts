/** One challenge of a `WWW-Authenticate` header: its scheme (lowercase) and parameters (names lowercase). */
export interface Challenge {
  scheme: string
  params: Map<string, string>
}

/** A `WWW-Authenticate` field as the wrappers get it: one value (several fields joined by fetch), a list of values (undici), or none. */
export type ChallengeHeader = string | readonly string[] | null | undefined

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y
const SPACE = /[ \t]*/y
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*/y

/**
 * Parses a `WWW-Authenticate` value into its challenges (RFC 9110 §11.6.1): several challenges in one
 * value, several values (a list, as undici gives repeated fields), parameters quoted (with `\`
 * escapes) or bare, `token68` credentials. A `name=value` always belongs to the challenge before it,
 * and a token not followed by `=` starts a new challenge, so nothing inside a quoted value is ever read
 * as a challenge. What does not parse is stepped over, never guessed at: a quoted value that does not
 * end is dropped, as is anything after a value up to the next comma, and an element that starts with
 * anything but a token (a quoted string, `=`, `@`) up to the next comma outside quotes; a parameter given twice in one
 * challenge keeps its first value (RFC 9110 says each name occurs once).
 *
 * @example
 * parseChallenges('Basic realm="x", Bearer error="invalid_token"')
 * // [{ scheme: 'basic', params: {realm: 'x'} }, { scheme: 'bearer', params: {error: 'invalid_token'} }]
 */
export function parseChallenges(header: ChallengeHeader): Challenge[] {
  if (header === undefined || header === null) return []
  if (typeof header !== 'string') return header.flatMap((value) => parseChallenges(value))
  return parseValue(header)
}

/** The challenges of one `WWW-Authenticate` value. */
function parseValue(header: string): Challenge[] {
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
      // Not something we understand: the whole element is stepped over, quoted strings in it
      // included. Stepping over one character and reading on would read the inside of a quoted
      // string that stands where an element starts (`Bearer "DPoP error=use_dpop_nonce"`) as a challenge.
      skipElement()
      continue
    }
    skip(SPACE)
    const current = challenges.at(-1)
    if (header[at] === '=' && current !== undefined && header[at + 1] !== '=') {
      at++
      skip(SPACE)
      const value = readValue()
      const key = name.toLowerCase()
      if (value !== undefined && !current.params.has(key)) current.params.set(key, value)
      // After a value: the next element, or the end. Anything else up to the next comma is not a parameter.
      skip(SPACE)
      if (at < header.length && header[at] !== ',') skipElement()
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

  /** A bare token or a quoted string (escapes undone); `undefined` for a quoted string that never ends, or no value. */
  function readValue(): string | undefined {
    if (header[at] !== '"') return skip(TOKEN)
    let value = ''
    for (at++; at < header.length; at++) {
      const char = header[at]
      if (char === '"') {
        at++
        return value
      }
      if (char === '\\') at++
      value += header[at] ?? ''
    }
    return undefined
  }

  /** Steps over the rest of a list element: up to the next comma outside a quoted string. */
  function skipElement(): void {
    let quoted = false
    for (; at < header.length; at++) {
      const char = header[at]
      if (quoted) {
        if (char === '\\') at++
        else if (char === '"') quoted = false
      } else if (char === '"') {
        quoted = true
      } else if (char === ',') {
        return
      }
    }
  }
}

/**
 * True when a `WWW-Authenticate` value has a challenge of `scheme` (lowercase) whose `error` is `error`.
 *
 * @example
 * hasChallengeError('Bearer realm="api", DPoP error="use_dpop_nonce"', 'dpop', 'use_dpop_nonce') // true
 */
export function hasChallengeError(header: ChallengeHeader, scheme: string, error: string): boolean {
  if (!header || header.length === 0) return false
  return parseChallenges(header).some((challenge) => challenge.scheme === scheme && challenge.params.get('error') === error)
}

/**
 * True when a `WWW-Authenticate` value has a challenge with `error="invalid_token"` (RFC 6750 §3.1,
 * RFC 9449 §7.1) for the scheme the token was sent with: `Bearer` (the default) or `DPoP`. The token
 * was refused as expired, revoked or unknown, and a new token may succeed.
 *
 * @example
 * isInvalidTokenChallenge('Bearer realm="api", error="invalid_token"') // true
 * isInvalidTokenChallenge('Bearer realm="api", error="insufficient_scope"') // false
 * isInvalidTokenChallenge('DPoP algs="ES256", error="invalid_token"', 'dpop') // true
 */
export function isInvalidTokenChallenge(header: ChallengeHeader, scheme: 'bearer' | 'dpop' = 'bearer'): boolean {
  return hasChallengeError(header, scheme, 'invalid_token')
}

/**
 * True when a `WWW-Authenticate` value has `DPoP error="use_dpop_nonce"` (RFC 9449 §9): the resource
 * wants its nonce (in the response's `DPoP-Nonce`) in the proof.
 *
 * @example
 * isDpopNonceChallenge('DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"') // true
 */
export function isDpopNonceChallenge(header: ChallengeHeader): boolean {
  return hasChallengeError(header, 'dpop', 'use_dpop_nonce')
}
