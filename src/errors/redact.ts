/** The text that stands in for a secret or token wherever one would otherwise be shown. */
export const REDACTED = '[redacted]'

/**
 * Replaces every occurrence of each secret (and of its form-encoded and base64 forms, which servers
 * sometimes echo) in text that came from outside, such as an `error_description`.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text
  for (const secret of secrets) {
    if (secret.length < 4) continue
    result = result.replaceAll(secret, REDACTED)
  }
  return result
}
