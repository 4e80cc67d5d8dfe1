import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { SealingKey } from './entry-keys.js'

/** The format version written first in every sealed entry. */
const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16
/** The largest sealed entry written or opened: a token of about 1.1 MB (a token response is capped at 1 MiB by default). */
export const MAX_SEALED_CHARS = 1536 * 1024

/** Why an entry could not be opened. */
export type UnsealFailure = 'malformed' | 'foreign-key' | 'tampered'

/** Additional data: the cache key, so that an entry copied under another name does not open. */
const additionalData = (cacheKey: string): Buffer => Buffer.from(`oauth2cc ${VERSION}\n${cacheKey}`, 'utf8')

/**
 * Seals `plaintext` with AES-256-GCM under `key`, with the cache key as associated data:
 * `v1.<key id>.<base64url of IV, ciphertext and tag>`.
 */
export function sealEntry(plaintext: string, cacheKey: string, key: SealingKey): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(additionalData(cacheKey))
  const body = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
  return `${VERSION}.${key.id}.${body.toString('base64url')}`
}

/**
 * Opens what {@link sealEntry} sealed, with whichever of `keys` has the entry's key id; a failure
 * says why (never what the entry held).
 */
export function openEntry(
  sealed: string,
  cacheKey: string,
  keys: readonly SealingKey[],
): { ok: true; plaintext: string } | { ok: false; failure: UnsealFailure } {
  if (sealed.length > MAX_SEALED_CHARS) return { ok: false, failure: 'malformed' }
  const [version, keyId, encoded, extra] = sealed.split('.')
  if (version !== VERSION || keyId === undefined || encoded === undefined || extra !== undefined) return { ok: false, failure: 'malformed' }
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return { ok: false, failure: 'malformed' }
  const key = keys.find((candidate) => candidate.id === keyId)
  if (key === undefined) return { ok: false, failure: 'foreign-key' }
  const body = Buffer.from(encoded, 'base64url')
  if (body.length < IV_BYTES + TAG_BYTES + 1) return { ok: false, failure: 'malformed' }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, body.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES })
    decipher.setAAD(additionalData(cacheKey))
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
    const plaintext = Buffer.concat([decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)), decipher.final()])
    return { ok: true, plaintext: plaintext.toString('utf8') }
  } catch {
    return { ok: false, failure: 'tampered' }
  }
}
