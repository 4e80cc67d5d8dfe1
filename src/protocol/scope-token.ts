/**
 * RFC 6749 §3.3 and Appendix A.4: a scope is space-delimited, case-sensitive scope tokens, each one
 * or more NQCHAR (%x21 / %x23-5B / %x5D-7E): printable ASCII but space, `"` and `\`.
 */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/**
 * True when `value` is one scope token: one or more NQCHAR, so no space, quote, backslash, control
 * or non-ASCII character.
 *
 * @example
 * isScopeToken('orders:read') // true
 * isScopeToken('a b')         // false: two tokens
 */
export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value)
}
