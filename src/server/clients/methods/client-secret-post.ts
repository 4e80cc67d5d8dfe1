/**
 * `client_secret_post` (RFC 6749 §2.3.1): `client_id` and `client_secret` in the form body. The
 * RFC discourages it in favour of Basic, and many clients still send it.
 */
import { firstValue } from '../../exchange/form-body.js'
import type { ClientAuthMethod } from '../client-authentication.js'
import { verifyClientSecret } from '../client-registry.js'

/** `client_secret_post`: used whenever the body carries a non-empty `client_secret`. */
export const clientSecretPost = {
  name: 'client_secret_post',
  presentedIn: 'form',
  credentialParams: ['client_secret'],
  clientIdFrom: 'client_id',
  isUsedBy: (request) => firstValue(request.params, 'client_secret') !== undefined,
  read: (request) => ({
    ok: true,
    clientId: firstValue(request.params, 'client_id'),
    credential: firstValue(request.params, 'client_secret'),
    basicFormEncoded: undefined,
  }),
  verify: verifyClientSecret,
} as const satisfies ClientAuthMethod
