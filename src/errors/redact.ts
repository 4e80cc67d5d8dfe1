/** The text that stands in for a secret or token wherever one would otherwise be shown. */
export const REDACTED = '[redacted]'

/**
 * Replaces every occurrence of each given string in text that came from outside, such as an
 * `error_description`. Pass a secret in every form a server might echo (raw, form-encoded, the
 * Basic credentials' base64). A text holding a secret shorter than 4 characters is replaced whole,
 * since replacing so short a string would mangle it and still hint at the secret.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text
  for (const secret of secrets) {
    if (secret === '' || !result.includes(secret)) continue
    if (secret.length < 4) return REDACTED
    result = result.replaceAll(secret, REDACTED)
  }
  return result
}
