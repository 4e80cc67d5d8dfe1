/**
 * application/x-www-form-urlencoded encoding of single values (RFC 6749 Appendix B),
 * shared by the client (Basic credentials, request bodies) and the reference server.
 */

/**
 * Form-encodes one value with the WHATWG `URLSearchParams` serializer: alphanumerics and
 * `*-._` stay as they are, a space becomes `+`, everything else is percent-encoded as UTF-8.
 * Ordinary client ids therefore stay byte-identical to their raw form.
 *
 * @example
 * formEncode('s3cr:et%') // 's3cr%3Aet%25'
 */
export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1)
}

/**
 * Decodes one form-encoded value strictly: `+` is a space, and a malformed percent escape or
 * an escape that does not decode to UTF-8 throws a `URIError` instead of passing through.
 *
 * @example
 * formDecode('s3cr%3Aet%25') // 's3cr:et%'
 */
export function formDecode(value: string): string {
  return decodeURIComponent(value.replaceAll('+', ' '))
}

/** True when form-encoding changes the value, so servers that never decode would see something else. */
export function formEncodingChanges(value: string): boolean {
  return formEncode(value) !== value
}
