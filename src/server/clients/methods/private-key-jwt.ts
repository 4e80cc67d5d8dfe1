/**
 * `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): the client signs a JWT with its
 * private key and sends it as `client_assertion`; the server verifies it with the public keys the
 * client registered (`jwks`). Asymmetric algorithms only: an `HS*` assertion goes to
 * `client_secret_jwt`, so a public key is never used as an HMAC key (algorithm confusion).
 */
import { assertionAuthMethod } from '../client-assertion.js'
import { PRIVATE_KEY_JWT_ALGORITHMS } from '../client-keys.js'

/**
 * `private_key_jwt`: used whenever the body carries a client assertion whose `alg` is not an HMAC
 * (or cannot be read: this method then refuses it).
 */
export const privateKeyJwt = assertionAuthMethod({
  name: 'private_key_jwt',
  family: 'signature',
  algorithms: PRIVATE_KEY_JWT_ALGORITHMS,
  unregisteredDescription: 'the client has no jwks registered for private_key_jwt',
  verificationKey: (registry, clientId) => registry.keySet(clientId)?.getKey,
})
