import { buildConnector, type Agent } from 'undici'
import type { TlsIdentity } from '../auth/tls-identity.js'

/**
 * Options of {@link TokenClient.createAgent}: undici's `Agent` options, except `connect`, which the
 * client sets to present its certificate (`connectTimeout`, `allowH2`, `maxCachedSessions`,
 * `autoSelectFamily` and `socketPath` are honoured by that connector).
 *
 * @example
 * client.createAgent({ connections: 8, keepAliveTimeout: 10_000 })
 */
export type CertificateAgentOptions = Omit<Agent.Options, 'connect'>

/**
 * An undici connector that presents the certificate of `tls` and trusts its `ca`: one TLS context
 * for every connection (`buildConnector({ secureContext })`), so that the key is neither in the
 * connector's options nor in each socket's connect options, where `util.inspect()` would reach it.
 * The connection settings of `options` that undici hands its own connector are honoured.
 */
export function certificateConnector(tls: TlsIdentity, options: CertificateAgentOptions): buildConnector.connector {
  const settings: Record<string, unknown> = { secureContext: tls.secureContext() }
  if (options.connectTimeout !== undefined && options.connectTimeout !== null) settings['timeout'] = options.connectTimeout
  if (options.allowH2 !== undefined) settings['allowH2'] = options.allowH2
  if (options.maxCachedSessions !== undefined && options.maxCachedSessions !== null) settings['maxCachedSessions'] = options.maxCachedSessions
  if (options.socketPath !== undefined && options.socketPath !== null) settings['socketPath'] = options.socketPath
  if (options.autoSelectFamily !== undefined) {
    settings['autoSelectFamily'] = options.autoSelectFamily
    if (options.autoSelectFamilyAttemptTimeout !== undefined) settings['autoSelectFamilyAttemptTimeout'] = options.autoSelectFamilyAttemptTimeout
  }
  return buildConnector(settings as buildConnector.BuildOptions)
}
