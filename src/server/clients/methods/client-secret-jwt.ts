/**
 * `client_secret_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): the client MACs a JWT with a shared
 * secret (HS256, HS384 or HS512) and sends it as `client_assertion`. The HMAC needs the key itself,
 * not a hash of it, so this secret is the one credential the server keeps as it was given: the
 * client's `jwtSecret`, a registration field of its own that only this method reads (a
 * `clientSecret` stays hashed and never verifies an assertion, checklist item 17), held as a
 * `KeyObject` that shows nothing in `util.inspect` or `JSON.stringify`, never logged.
 */
import { decodeProtectedHeader } from 'jose'
import { ServerError } from '../../exchange/server-error.js'
import { assertionAuthMethod } from '../client-assertion.js'
import { CLIENT_SECRET_JWT_ALGORITHMS, hmacKeyFits, type ClientSecretJwtAlgorithm } from '../client-keys.js'

/**
 * `client_secret_jwt`: used whenever the body carries a client assertion whose `alg` is `HS256`,
 * `HS384` or `HS512` (or another `HS*`, which this method refuses).
 */
export const clientSecretJwt = assertionAuthMethod({
  name: 'client_secret_jwt',
  family: 'hmac',
  algorithms: CLIENT_SECRET_JWT_ALGORITHMS,
  unregisteredDescription: 'the client has no jwtSecret registered for client_secret_jwt',
  verificationKey(registry, clientId, assertion) {
    const key = registry.jwtKey(clientId)
    if (key === undefined) return undefined
    const alg = decodeProtectedHeader(assertion).alg as ClientSecretJwtAlgorithm
    return CLIENT_SECRET_JWT_ALGORITHMS.includes(alg) && !hmacKeyFits(key, alg) ? SECRET_TOO_SHORT : key
  },
})

const SECRET_TOO_SHORT = new ServerError(
  401,
  'invalid_client',
  "the client's jwtSecret is shorter than this alg needs (RFC 7518 section 3.2: 48 bytes for HS384, 64 for HS512)",
)
