/** The `scope` parameter (RFC 6749 §3.3, App. A.4): space-delimited, case-sensitive NQCHAR tokens. */

// scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/**
 * True when `value` is one scope token: one or more NQCHAR (%x21 / %x23-5B / %x5D-7E), so no space,
 * double quote or backslash.
 *
 * @example
 * isScopeToken('api:read') // true
 * isScopeToken('a"b') // false
 */
export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value)
}

/**
 * Parses a `scope` value into its distinct tokens, in the order they first appear, or `undefined`
 * when it breaks the grammar `scope-token *( SP scope-token )` (a leading, trailing or double space,
 * or a character outside NQCHAR). Order and duplicates carry no meaning (§3.3).
 *
 * @example
 * parseScope('b a b') // ['b', 'a']
 * parseScope('a  b') // undefined
 */
export function parseScope(value: string): string[] | undefined {
  const tokens = value.split(' ')
  for (const token of tokens) if (!SCOPE_TOKEN.test(token)) return undefined
  return tokens.length === 1 ? tokens : [...new Set(tokens)]
}
