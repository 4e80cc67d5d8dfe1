import { LRUCache } from 'lru-cache'

/** The longest `DPoP-Nonce` taken; a longer one is ignored (every later proof would carry it). */
export const MAX_DPOP_NONCE_LENGTH = 1024

/** The most origins whose nonce one store keeps; the least recently used go first. */
export const MAX_DPOP_NONCE_ORIGINS = 1000

/** RFC 9449 §8.1: `nonce = 1*NQCHAR`, NQCHAR = %x21 / %x23-5B / %x5D-7E (printable ASCII but space, `"` and `\`). */
const NONCE = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/**
 * The nonce a `DPoP-Nonce` response header gives, or `undefined` when it gives none that is usable:
 * absent, empty, longer than {@link MAX_DPOP_NONCE_LENGTH}, with a character outside NQCHAR, or sent
 * more than once (which nonce would the server want?).
 *
 * @example
 * dpopNonceOf('eyJ7S_zG.eyJH0-Z.HX4w-7v') // 'eyJ7S_zG.eyJH0-Z.HX4w-7v'
 * dpopNonceOf('two words') // undefined
 */
export function dpopNonceOf(header: string | readonly string[] | null | undefined): string | undefined {
  if (Array.isArray(header)) return header.length === 1 ? dpopNonceOf(header[0]) : undefined
  if (typeof header !== 'string' || header.length > MAX_DPOP_NONCE_LENGTH || !NONCE.test(header)) return undefined
  return header
}

/**
 * The latest `DPoP-Nonce` of each origin (RFC 9449 §8, §9), bounded: lru-cache keeps at most
 * {@link MAX_DPOP_NONCE_ORIGINS}. A client has two, one for its authorization server and one for the
 * resources it calls, so that a nonce one gave is never sent to the other, even on the same origin.
 */
export class DpopNonceStore {
  readonly #nonces = new LRUCache<string, string>({ max: MAX_DPOP_NONCE_ORIGINS })

  /** The nonce to put in the next proof for `url`, if its origin gave one. */
  get(url: URL): string | undefined {
    return this.#nonces.get(url.origin)
  }

  /**
   * Keeps the nonce of a response from `url` (its `DPoP-Nonce` header), if it is a usable one
   * ({@link dpopNonceOf}); returns it, or `undefined` when there was none.
   */
  take(url: URL, header: string | readonly string[] | null | undefined): string | undefined {
    if (header === undefined || header === null) return undefined
    const nonce = dpopNonceOf(header)
    if (nonce !== undefined) this.#nonces.set(url.origin, nonce)
    return nonce
  }

  /** How many origins have a nonce kept. */
  get size(): number {
    return this.#nonces.size
  }
}
