/** The `scope` parameter (RFC 6749 §3.3, App. A.4): space-delimited, case-sensitive NQCHAR tokens. */
import { isScopeToken } from '../../protocol/scope-token.js'

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
  for (const token of tokens) if (!isScopeToken(token)) return undefined
  return tokens.length === 1 ? tokens : [...new Set(tokens)]
}
