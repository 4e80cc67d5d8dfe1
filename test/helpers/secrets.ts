// The client secrets of the tests, one per thing a secret exercises. A test that needs another on
// purpose (a wrong one, a short one) keeps it inline, named for what it is.

/**
 * Every character that form-encoding changes in `Authorization: Basic` (RFC 6749 §2.3.1): `:` (the
 * separator of id and secret), `%` (an escape), `+` (a space once decoded), `&` and `=` (the form's
 * delimiters), `/`, and a space. A client that sends it raw, or a server that decodes it twice or not
 * at all, fails to authenticate. The secret of the standard test client and of any test that needs a
 * secret that is not the point of the test.
 */
export const RESERVED_SECRET = 's3cr:et% +&=/x'

/**
 * A space and a `+`, the characters raw (RFC 7617) and form-encoded Basic credentials tell apart: a
 * form-decoding server reads a raw `+` as a space. The secret of the fixture's `plain` client, for
 * `basicEncoding: 'raw'`.
 */
export const SPACE_PLUS_SECRET = 'a b+c'

/** Letters and digits only: no encoding changes it, so no hint about encoding may mention it. */
export const PLAIN_SECRET = 'plainSecret123'

/**
 * The characters of {@link RESERVED_SECRET} behind a prefix found nowhere else, so that finding it
 * (in any of its forms: raw, form-encoded, in Basic credentials) is a leak, never a coincidence: what
 * the leak checks look for in every output.
 */
export const LEAK_PROBE_SECRET = 'Leak-Probe:s3cr%t +&=/Zq9'
