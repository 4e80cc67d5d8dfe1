import { dpopSigningOf, type DpopResourceSigning } from '../dpop/resource-binding.js'
import { invalidArgument } from '../errors/invalid-argument.js'
import type { SourcedToken, TokenSource } from './token-source.js'

/** A token as a request carries it: its `Authorization` scheme, and for a DPoP token what makes its proofs. */
export interface CarriedToken {
  readonly accessToken: string
  readonly scheme: 'Bearer' | 'DPoP'
  readonly dpop: DpopResourceSigning | undefined
}

/** How `token` of `client` is carried: a DPoP token with its client's proofs, anything else as a Bearer token. */
export function carried(client: TokenSource, token: SourcedToken): CarriedToken {
  if (token.tokenType !== 'DPoP') return { accessToken: token.accessToken, scheme: 'Bearer', dpop: undefined }
  const dpop = dpopSigningOf(client)
  // A token source that hands out DPoP tokens but signs no proofs cannot send them: sent as Bearer,
  // they would be refused (RFC 9449 §7.2), so the call fails instead, saying why.
  if (dpop === undefined) throw invalidArgument('client', 'gave a DPoP token but makes no DPoP proofs: use a TokenClient with the dpop option')
  return { accessToken: token.accessToken, scheme: 'DPoP', dpop }
}

