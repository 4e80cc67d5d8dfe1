/** The `resource` parameter (RFC 8707 §2): an absolute URI (RFC 3986 §4.3) without a fragment. */

// absolute-URI = scheme ":" hier-part [ "?" query ]; every character a URI may hold, '#' excluded,
// and '%' only as the start of a well-formed escape.
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?[\]]|%[0-9A-Fa-f]{2})*$/

/**
 * True when `value` is an absolute URI without a fragment, as RFC 8707 §2 requires of `resource`.
 *
 * @example
 * isResourceIndicator('https://api.example.com/v1') // true
 * isResourceIndicator('/v1') // false: relative
 * isResourceIndicator('https://api.example.com/#top') // false: fragment
 */
export function isResourceIndicator(value: string): boolean {
  return ABSOLUTE_URI.test(value)
}
