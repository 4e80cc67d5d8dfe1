/**
 * `none`: what a request that uses no client authentication method gets (RFC 6749 §2.1 public
 * clients). Every client here is confidential (registration requires a credential), so it never
 * authenticates: a `client_id` alone is 401 `invalid_client`, counted by the throttle. It is not in
 * `CLIENT_AUTH_METHODS` and not published in the metadata.
 */
import { firstValue } from '../../exchange/form-body.js'
import type { ClientAuthMethod } from '../client-authentication.js'
import { AUTHENTICATION_FAILED } from '../client-registry.js'

/** No credentials: the claimed client id is the body's `client_id`, and nothing proves it. */
export const none = {
  name: 'none',
  presentedIn: 'nowhere',
  credentialParams: [],
  clientIdFrom: 'client_id',
  // Never found by looking: it is what a request gets when no method is used.
  isUsedBy: () => false,
  read: (request) => ({
    ok: true,
    clientId: firstValue(request.params, 'client_id'),
    credential: undefined,
    basicFormEncoded: undefined,
  }),
  verify: () => AUTHENTICATION_FAILED,
} as const satisfies ClientAuthMethod
