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
import { assertionFamily, readClientAssertion, verifyClientAssertion, type AssertionMethod } from '../client-assertion.js'
import type { ClientAuthMethod } from '../client-authentication.js'
import { CLIENT_SECRET_JWT_ALGORITHMS, hmacKeyFits, type ClientSecretJwtAlgorithm } from '../client-keys.js'

const METHOD: AssertionMethod = { name: 'client_secret_jwt', algorithms: CLIENT_SECRET_JWT_ALGORITHMS }

/**
 * `client_secret_jwt`: used whenever the body carries a client assertion whose `alg` is `HS256`,
 * `HS384` or `HS512` (or another `HS*`, which this method refuses).
 */
export const clientSecretJwt = {
  name: 'client_secret_jwt',
  presentedIn: 'form',
  credentialParams: ['client_assertion'],
  clientIdFrom: 'the client_assertion sub',
  isUsedBy: (request) => assertionFamily(request.params) === 'hmac',
  read: readClientAssertion,
  verify(request, server) {
    const client = server.registry.get(request.clientId)
    const key = server.registry.jwtKey(request.clientId)
    // An unknown client and one without a jwtSecret read alike, so the answer tells nobody which ids exist.
    if (client === undefined || key === undefined || request.credential === undefined) return NOT_REGISTERED
    const alg = decodeProtectedHeader(request.credential).alg as ClientSecretJwtAlgorithm
    if (CLIENT_SECRET_JWT_ALGORITHMS.includes(alg) && !hmacKeyFits(key, alg)) return SECRET_TOO_SHORT
    return verifyClientAssertion(request.credential, key, METHOD, client, request, server)
  },
} as const satisfies ClientAuthMethod

const NOT_REGISTERED = new ServerError(401, 'invalid_client', 'the client has no jwtSecret registered for client_secret_jwt')
const SECRET_TOO_SHORT = new ServerError(
  401,
  'invalid_client',
  "the client's jwtSecret is shorter than this alg needs (RFC 7518 section 3.2: 48 bytes for HS384, 64 for HS512)",
)
