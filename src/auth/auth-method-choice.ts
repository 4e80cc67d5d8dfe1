import type { AuthMethod } from './client-authentication.js'

/** What a discovered client chooses its method from: the one given, and which credential it holds. */
export interface AuthMethodChoiceInput {
  /** The `authMethod` option, when given. */
  readonly given: AuthMethod | undefined
  /** `privateKey` was given (else `clientSecret`, or the `tls` certificate alone). */
  readonly hasPrivateKey: boolean
  /** Only the `tls` option was given, neither `clientSecret` nor `privateKey`: a mutual-TLS method. */
  readonly tlsOnly?: boolean
}

/** The method chosen, or why none could be. */
export type AuthMethodChoice = { readonly method: AuthMethod } | { readonly refused: string }

/** The secret methods in the order they are preferred: the one every server supports first. */
const SECRET_METHODS: readonly AuthMethod[] = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt']

/** The mutual-TLS methods in the order they are preferred: a CA-issued certificate first. */
const TLS_METHODS: readonly AuthMethod[] = ['tls_client_auth', 'self_signed_tls_client_auth']

/**
 * The auth method of a client that discovered its server, decided from the metadata's
 * `token_endpoint_auth_methods_supported` alone, never by trying one and falling back on a refusal
 * (an `invalid_client` may be a lockout as well as a wrong method). A method given is kept if listed;
 * a private key means `private_key_jwt`; a secret means `client_secret_basic`, then
 * `client_secret_post`, then `client_secret_jwt`; the `tls` certificate alone means `tls_client_auth`,
 * then `self_signed_tls_client_auth` (RFC 8705 §2). A list that is absent means `['client_secret_basic']`
 * (RFC 8414 §2).
 *
 * @example
 * chooseAuthMethod(['private_key_jwt', 'client_secret_post'], { given: undefined, hasPrivateKey: false })
 * // { method: 'client_secret_post' }
 */
export function chooseAuthMethod(supported: readonly string[] | undefined, input: AuthMethodChoiceInput): AuthMethodChoice {
  const listed = supported ?? ['client_secret_basic']
  const listing = supported === undefined ? 'lists no methods (so only client_secret_basic, RFC 8414 §2)' : `lists ${listed.length === 0 ? 'none' : listed.map((name) => `'${name}'`).join(', ')}`
  if (input.given !== undefined) {
    return listed.includes(input.given) ? { method: input.given } : { refused: `authMethod '${input.given}' is not supported: token_endpoint_auth_methods_supported ${listing}` }
  }
  if (input.hasPrivateKey) {
    return listed.includes('private_key_jwt')
      ? { method: 'private_key_jwt' }
      : { refused: `privateKey needs private_key_jwt, which the server does not support: token_endpoint_auth_methods_supported ${listing}` }
  }
  if (input.tlsOnly === true) {
    const tlsMethod = TLS_METHODS.find((name) => listed.includes(name))
    return tlsMethod === undefined
      ? { refused: `a tls certificate without clientSecret or privateKey needs tls_client_auth or self_signed_tls_client_auth (RFC 8705), which the server does not support: token_endpoint_auth_methods_supported ${listing}` }
      : { method: tlsMethod }
  }
  const method = SECRET_METHODS.find((name) => listed.includes(name))
  return method === undefined
    ? { refused: `no method for a clientSecret (client_secret_basic, client_secret_post, client_secret_jwt) is supported: token_endpoint_auth_methods_supported ${listing}` }
    : { method }
}
