/** The text that stands in for a secret or token wherever one would otherwise be shown. */
export const REDACTED = '[redacted]'

/**
 * Secrets at least this long are replaced wherever they occur; a shorter one only where it stands
 * alone (see {@link redact}).
 */
const ANYWHERE_FROM_LENGTH = 8

/**
 * Replaces each given secret in free text that came from outside, such as an `error_description`.
 * Pass a secret in every form a server might echo (raw, form-encoded, the Basic credentials'
 * base64).
 *
 * A secret of 8 characters or more is replaced wherever it occurs: no word of a server's message is
 * likely to contain it by chance. A shorter one is replaced only where it stands alone, between
 * characters that are not letters, digits, `_` or `-` (or the ends of the text), so that a secret such as
 * `client` or `e` never turns `invalid_client` into `invalid_[redacted]` or a whole message into
 * `[redacted]`, while `secret "e" is wrong` still becomes `secret "[redacted]" is wrong`. An OAuth
 * `error` code (letters and `_`) is therefore only ever changed when it holds a long secret.
 *
 * @example
 * redact('bad secret s3cr3t-value!', ['s3cr3t-value']) // 'bad secret [redacted]!'
 * redact('invalid_client', ['client'])                 // 'invalid_client'
 */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text
  for (const secret of secrets) {
    if (secret === '' || !result.includes(secret)) continue
    result = secret.length >= ANYWHERE_FROM_LENGTH ? result.replaceAll(secret, REDACTED) : replaceStandalone(result, secret)
  }
  return result
}

function replaceStandalone(text: string, secret: string): string {
  let result = ''
  let from = 0
  for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
    if (at < from) continue
    const end = at + secret.length
    if (isWordChar(text[at - 1]) || isWordChar(text[end])) continue
    result += text.slice(from, at) + REDACTED
    from = end
  }
  return result + text.slice(from)
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && /[A-Za-z0-9_-]/.test(char)
}
