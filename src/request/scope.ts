import { invalidArgument } from '../errors/invalid-argument.js'
import { isScopeToken } from '../protocol/scope-token.js'

/**
 * A scope as callers give it: space-delimited text, or a list of scope tokens. Order and repeats do
 * not matter: `'b a'` and `['a', 'b']` are the same scope and share one cached token.
 *
 * @example
 * 'orders:read orders:write'
 * ['orders:read', 'orders:write']
 */
export type ScopeInput = string | readonly string[]

// Nothing but the separator (one space, RFC 6749 §3.3): a part that holds no scope token.
const NO_TOKEN = /^ *$/

/**
 * The scope a call asked for, or `undefined` when it names no scope token at all (`''`, `'  '`, `[]`,
 * `['']`): RFC 6749 §3.3 has no empty scope, so an empty one means the same as none given. Anything
 * else, malformed included, is returned as it is for {@link normalizeScope} to judge.
 *
 * @example
 * givenScope('') // undefined: getToken('') asks for the client's `scope` option, as getToken() does
 * givenScope(['a']) // ['a']
 */
export function givenScope(input: ScopeInput | undefined): ScopeInput | undefined {
  if (typeof input === 'string') return NO_TOKEN.test(input) ? undefined : input
  if (!Array.isArray(input)) return input
  return input.every((part) => typeof part === 'string' && NO_TOKEN.test(part)) ? undefined : input
}

/**
 * Splits, deduplicates and sorts a scope (RFC 6749 §3.3: order and repeats carry no meaning),
 * so equal scope sets share one cached token. Throws a `TypeError` for a token outside NQCHAR.
 *
 * @example
 * normalizeScope('b a  b') // ['a', 'b']
 */
export function normalizeScope(input: ScopeInput | undefined, name = 'scope'): string[] {
  if (input === undefined) return []
  const parts = typeof input === 'string' ? [input] : input
  if (!Array.isArray(parts) && typeof input !== 'string') {
    throw invalidArgument(name, 'must be a string or an array of strings')
  }
  const tokens = new Set<string>()
  for (const part of parts) {
    if (typeof part !== 'string') throw invalidArgument(name, 'must be a string or an array of strings')
    for (const token of part.split(' ')) {
      if (token === '') continue
      if (!isScopeToken(token)) {
        throw invalidArgument(
          name,
          `has a scope token with a character RFC 6749 §3.3 does not allow (only %x21, %x23-5B and %x5D-7E): ${JSON.stringify(token)}`,
        )
      }
      tokens.add(token)
    }
  }
  return [...tokens].sort()
}
