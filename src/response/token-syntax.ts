/** What the values of a token response must look like before the client keeps them. */

/**
 * RFC 6750 §2.1 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`, the only
 * text that may follow `Bearer ` in an `Authorization` header. JWTs, base64 and base64url, hex and
 * UUIDs all match; a space, a control character, a quote or a non-ASCII character does not.
 */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/**
 * True when `token` can be sent as `Authorization: Bearer <token>` as it is: an RFC 6750 `b64token`.
 *
 * @example
 * isBearerTokenSyntax('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdmMifQ.c2ln') // true
 * isBearerTokenSyntax('abc\r\nx-injected: 1')                          // false
 */
export function isBearerTokenSyntax(token: string): boolean {
  return B64TOKEN.test(token)
}

/** A granted scope as the client keeps and prints it: printable ASCII and spaces (NQCHAR tokens, leniently). */
const GRANTED_SCOPE = /^[\x20-\x7E]*$/

/**
 * True when a granted scope can be kept and printed as it is: printable ASCII and spaces only
 * (RFC 6749 §3.3 scope tokens are NQCHAR; anything else would put a control character in a log line).
 *
 * @example
 * isGrantedScopeSyntax('orders:read orders:write') // true
 * isGrantedScopeSyntax('a\r\nlevel=admin')         // false
 */
export function isGrantedScopeSyntax(scope: string): boolean {
  return GRANTED_SCOPE.test(scope)
}
