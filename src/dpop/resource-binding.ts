/**
 * What the fetch wrapper and the interceptor need of a DPoP client at a resource (RFC 9449 §7): a new
 * proof for each request that carries a DPoP token, and the nonces resources give. A token client with
 * DPoP registers it here, so that `fetch/` and `interceptor/` reach it without importing the client,
 * which sits above them.
 */
export interface DpopResourceSigning {
  /**
   * A new proof for a request carrying `accessToken`: `htm` the method, `htu` the URL without query
   * and fragment, `ath` the token's hash, and the resource nonce of the URL's origin, if any.
   */
  proof(accessToken: string, method: string, url: URL): Promise<string>
  /** Keeps the `DPoP-Nonce` of a response from `url` in the resource nonces; returns it when usable. */
  takeNonce(url: URL, header: string | readonly string[] | null | undefined): string | undefined
}

const signers = new WeakMap<object, DpopResourceSigning>()

/** Registers the resource signing of `source` (a token client with DPoP). */
export function registerDpopSigning(source: object, signing: DpopResourceSigning): void {
  signers.set(source, signing)
}

/** The resource signing of `source`, or `undefined` when it has no DPoP. */
export function dpopSigningOf(source: unknown): DpopResourceSigning | undefined {
  if (typeof source !== 'object' || source === null) return undefined
  return signers.get(source)
}
