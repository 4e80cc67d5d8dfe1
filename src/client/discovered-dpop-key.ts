import { DPOP_ALGORITHMS, DpopProofKey, type DpopSigningAlgorithm } from '../dpop/proof-key.js'
import { printableText } from '../errors/printable-text.js'
import { DiscoveryError } from '../errors/token-client-error.js'
import type { DpopSettings } from './resolve-options.js'

/**
 * The proof key after discovery (RFC 9449 §5.1): the one the client has when the metadata lists no
 * `dpop_signing_alg_values_supported`, or lists its algorithm; a key made in memory, whose algorithm
 * was not given, is made again for the first listed algorithm the client supports. Else, and for a
 * list that is not one, a {@link DiscoveryError}.
 */
export function discoveredDpopKey(
  listed: readonly string[] | 'malformed' | undefined,
  settings: DpopSettings,
  key: DpopProofKey,
  issuer: string,
): DpopProofKey {
  if (listed === undefined) return key
  const refuse = (reason: string): never => {
    throw new DiscoveryError({ issuer, status: 200, reason })
  }
  if (listed === 'malformed') return refuse("the metadata's dpop_signing_alg_values_supported is not a list of strings (RFC 9449 §5.1)")
  const shown = printableText(listed.join(', '), 200)
  if (!key.generated || settings.algorithmGiven) {
    if (listed.includes(key.algorithm)) return key
    const option = key.generated ? 'dpop.signingAlgorithm' : 'dpop.privateKey'
    return refuse(`the metadata's dpop_signing_alg_values_supported (${shown}) does not list ${key.algorithm}, the algorithm of ${option}`)
  }
  const chosen = listed.find((alg): alg is DpopSigningAlgorithm => DPOP_ALGORITHMS.includes(alg as DpopSigningAlgorithm))
  if (chosen === undefined) {
    return refuse(`the metadata's dpop_signing_alg_values_supported (${shown}) lists none of the DPoP algorithms the client supports (${DPOP_ALGORITHMS.join(', ')})`)
  }
  return chosen === key.algorithm ? key : DpopProofKey.generate(chosen)
}
