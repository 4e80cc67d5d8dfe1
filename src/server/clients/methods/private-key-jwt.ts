/**
 * `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): the client signs a JWT with its
 * private key and sends it as `client_assertion`; the server verifies it with the public keys the
 * client registered (`jwks`). Asymmetric algorithms only: an `HS*` assertion goes to
 * `client_secret_jwt`, so a public key is never used as an HMAC key (algorithm confusion).
 */
import { ServerError } from '../../exchange/server-error.js'
import { assertionFamily, readClientAssertion, verifyClientAssertion, type AssertionMethod } from '../client-assertion.js'
import type { ClientAuthMethod } from '../client-authentication.js'
import { PRIVATE_KEY_JWT_ALGORITHMS } from '../client-keys.js'

const METHOD: AssertionMethod = { name: 'private_key_jwt', algorithms: PRIVATE_KEY_JWT_ALGORITHMS }

/**
 * `private_key_jwt`: used whenever the body carries a client assertion whose `alg` is not an HMAC
 * (or cannot be read: this method then refuses it).
 */
export const privateKeyJwt = {
  name: 'private_key_jwt',
  presentedIn: 'form',
  credentialParams: ['client_assertion'],
  clientIdFrom: 'the client_assertion sub',
  isUsedBy: (request) => assertionFamily(request.params) === 'signature',
  read: readClientAssertion,
  verify(request, server) {
    const client = server.registry.get(request.clientId)
    const keys = server.registry.keySet(request.clientId)
    // An unknown client and one without keys read alike, so the answer tells nobody which ids exist.
    if (client === undefined || keys === undefined || request.credential === undefined) return NOT_REGISTERED
    return verifyClientAssertion(request.credential, keys.getKey, METHOD, client, request, server)
  },
} as const satisfies ClientAuthMethod

const NOT_REGISTERED = new ServerError(401, 'invalid_client', 'the client has no jwks registered for private_key_jwt')
