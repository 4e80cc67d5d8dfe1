/**
 * Epoch milliseconds as the whole epoch seconds of JWT and introspection claims (`exp`, `iat`:
 * NumericDate, RFC 7519 §2), rounded down.
 *
 * @example
 * epochSeconds(1_767_225_600_999) // 1767225600
 */
export function epochSeconds(epochMs: number): number {
  return Math.floor(epochMs / 1000)
}
