/** Request headers whose repetition matters: Node joins or drops repeated headers, so they are counted in `rawHeaders`. */

/**
 * True when the raw headers hold more than one `Authorization` header (a request must carry one
 * set of credentials: RFC 6749 §2.3, RFC 6750 §2).
 *
 * @example
 * hasRepeatedAuthorization(req.rawHeaders) // false
 */
export function hasRepeatedAuthorization(rawHeaders: readonly string[]): boolean {
  let count = 0
  for (let index = 0; index < rawHeaders.length; index += 2) {
    if ((rawHeaders[index] as string).toLowerCase() === 'authorization' && ++count > 1) return true
  }
  return false
}
